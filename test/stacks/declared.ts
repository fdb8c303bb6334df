// The assertions every real stack must satisfy, shared by the per-stack test files (one runtime per file).
import { expect, it } from "vitest";
import type { Evaluation } from "../harness/program";
import { isSecretValue, reveal } from "../harness/program";
import { FAKE_SECRETS, fakeSecrets, stackConfig } from "../harness/stack-files";
import { parseConfig } from "../../components/config/load";
import { publishedPortClaims } from "../../components/config/schema";
import { gatewayConf } from "../../components/gateway/spec";

export const CONTAINER = "docker:index/container:Container";
export const VOLUME = "docker:index/volume:Volume";
export const NETWORK = "docker:index/network:Network";

type Inputs = Record<string, unknown>;
const label = (r: { inputs: Inputs }, key: string) =>
  (reveal(r.inputs.labels) as { label: string; value: string }[] | undefined)?.find((l) => l.label === key)?.value;

export function serviceContainers(ev: Evaluation, component?: string) {
  return ev.byType(CONTAINER).filter((c) => label(c, "component") !== "volume-init" && (!component || label(c, "component") === component));
}

// Volumes that hold state, not the files an init writes for its workload.
export function stateVolumes(ev: Evaluation) {
  return ev.byType(VOLUME).filter((v) => label(v, "dev.mcp-platform.files") === undefined);
}

export function replicasOf(ev: Evaluation, service: string) {
  return serviceContainers(ev).filter((c) => label(c, "service") === service);
}

export interface DeliveredFile {
  // Where the service reads it.
  path: string;
  content: string;
  mode: string;
  secret: boolean;
}

// The files a service receives: staged in its init container, copied by init.sh into the volumes the
// service mounts read-only (components/container/init.ts).
export function filesOf(ev: Evaluation, service: string): DeliveredFile[] {
  const init = ev.byType(CONTAINER).find((c) => label(c, "component") === "volume-init" && label(c, "service") === service);
  if (!init) return [];
  // The engine marks the whole uploads list secret when one file in it is: 0400 marks the secret files.
  const listSecret = isSecretValue(init.inputs.uploads);
  const uploads = reveal(init.inputs.uploads) as Inputs[];
  const byFile = new Map(uploads.map((u) => [u.file as string, u]));
  const manifest = (byFile.get("/mcp-platform/manifest")?.content as string | undefined) ?? "";
  const initMounts = reveal(init.inputs.mounts) as { source: string; target: string }[];
  const [replica] = replicasOf(ev, service);
  const serviceMounts = reveal(replica!.inputs.mounts) as { source: string; target: string; readOnly?: boolean }[];
  return manifest
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [index, name, mode] = line.split(" ") as [string, string, string];
      const volume = initMounts.find((m) => m.target === `/mcp-platform/out/${index}`)!.source;
      const dir = serviceMounts.find((m) => m.source === volume && m.readOnly)!.target;
      const upload = byFile.get(`/mcp-platform/files/${index}/${name}`)!;
      return { path: `${dir}/${name}`, content: upload.content as string, mode, secret: listSecret && mode === "0400" };
    });
}

export function itDeclaresThePlatform(ev: () => Evaluation) {
  // Neo4j keeps the password its database was created with (the data volume outlives its container): a
  // changed neo4j.passwordLength must not generate a new one, only a warning (passwordLengthNotice).
  it("keeps Neo4j's password when its configured length changes, and ignores changes of nothing else", () => {
    expect(ev().resources.filter((r) => r.ignoreChanges.length).map((r) => [r.name, r.ignoreChanges])).toEqual([["neo4j-password", ["length"]]]);
  });

  it("declares every service: Neo4j, the three MCP servers, the health monitor, the gateway and the backups", () => {
    const services = new Set(serviceContainers(ev()).map((c) => label(c, "service")));
    expect([...services].sort()).toEqual(["backup", "gateway", "gmail", "graphiti", "health-monitor", "neo4j", "rag"]);
  });

  it("gives every container limits, rotated logs, a healthcheck, a restart policy and hardening", () => {
    for (const c of serviceContainers(ev())) {
      const i = reveal(c.inputs) as Inputs;
      expect(i.memory, c.name).toBeGreaterThan(0);
      expect(Number(i.cpus), c.name).toBeGreaterThan(0);
      expect(i.memoryReservation, c.name).toBeGreaterThan(0);
      expect(i.logDriver, c.name).toBe("json-file");
      expect(i.logOpts, c.name).toMatchObject({ "max-size": "10m", "max-file": "3" });
      expect((i.healthcheck as Inputs).tests, c.name).toBeInstanceOf(Array);
      expect(i.restart, c.name).toBe("unless-stopped");
      expect(i.securityOpts, c.name).toContain("no-new-privileges:true");
      expect((i.capabilities as Inputs).drops, c.name).toEqual(["ALL"]);
      expect(i.user, c.name).toMatch(/^[1-9]\d*:\d+$/);
      expect(i.name, c.name).toBeUndefined();
      expect(i.privileged ?? false, c.name).toBe(false);
      for (const l of ["service", "component", "environment"]) expect(label(c, l), `${c.name} ${l}`).toBeTruthy();
    }
  });

  it("runs every container but Neo4j on a read-only root filesystem (Neo4j's entrypoint rewrites its config)", () => {
    const writable = serviceContainers(ev()).filter((c) => reveal(c.inputs.readOnly) !== true).map((c) => label(c, "service"));
    expect(writable).toEqual(["neo4j"]);
  });

  it("keeps Neo4j on the internal backend network only, unpublished, reached by its alias", () => {
    const [neo4j] = replicasOf(ev(), "neo4j");
    const nets = reveal(neo4j!.inputs.networksAdvanced) as { name: string; aliases: string[] }[];
    expect(nets).toHaveLength(1);
    const backend = ev().byType(NETWORK).find((n) => n.inputs.name === nets[0]!.name)!;
    expect(backend.inputs.internal).toBe(true);
    expect(nets[0]!.aliases).toEqual(["neo4j"]);
    expect(neo4j!.inputs.ports ?? []).toEqual([]);
  });

  it("uses no host port twice", () => {
    const published = serviceContainers(ev()).flatMap((c) => ((reveal(c.inputs.ports) ?? []) as { external: number }[]).map((p) => p.external));
    expect(published.length).toBeGreaterThan(0);
    expect(new Set(published).size).toBe(published.length);
  });

  it("generates the Neo4j password and passes it, with every other secret, only as secret values", () => {
    // Neo4j's password and the backup repository's (unless backup.passwordKey names one); the others
    // are the gateway's API keys.
    expect(ev().byType("random:index/randomPassword:RandomPassword").filter((p) => !p.name.endsWith("-key")).map((p) => p.name).sort()).toEqual(["backup-password", "neo4j-password"]);
    const [neo4j] = replicasOf(ev(), "neo4j");
    expect(isSecretValue(neo4j!.inputs.envs)).toBe(true);
    const auth = (reveal(neo4j!.inputs.envs) as string[]).find((e) => e.startsWith("NEO4J_AUTH="))!;
    expect(auth).toMatch(/^NEO4J_AUTH=neo4j\/generated-/);
    expect(auth).not.toContain("demodemo");
    const [graphiti] = replicasOf(ev(), "graphiti");
    expect(isSecretValue(graphiti!.inputs.envs)).toBe(true);
    expect(reveal(graphiti!.inputs.envs)).toContain(`OPENAI_API_KEY=${FAKE_SECRETS["mcp-platform:openaiApiKey"]}`);
  });

  it("never lets a secret value appear outside a secret wrapper", () => {
    const secrets = [...Object.values(FAKE_SECRETS), "generated-neo4j-password"];
    const plain = (v: unknown): string[] => {
      if (isSecretValue(v)) return [];
      if (typeof v === "string") return [v];
      if (Array.isArray(v)) return v.flatMap(plain);
      if (typeof v === "object" && v !== null) return Object.values(v).flatMap(plain);
      return [];
    };
    for (const r of ev().resources)
      for (const s of plain(r.inputs)) for (const secret of secrets) expect(s.includes(secret), `${r.name}: ${s}`).toBe(false);
  });

  it("writes the Gmail OAuth keys read-only at GMAIL_OAUTH_PATH, as a secret, through its init (never into its read-only root)", () => {
    const [gmail] = replicasOf(ev(), "gmail");
    expect(gmail!.inputs.uploads ?? []).toEqual([]);
    const files = filesOf(ev(), "gmail");
    expect(files.map((f) => [f.path, f.mode, f.secret])).toEqual([["/app/config/gcp-oauth.keys.json", "0400", true]]);
    expect(JSON.parse(files[0]!.content)).toHaveProperty("installed.client_id", "test-client");
  });

  it("runs the backups on an image with restic and the server's own cypher-shell: built FROM neo4j.image, or pulled as backup.image", () => {
    const [backup] = replicasOf(ev(), "backup");
    const image = ev().byType("docker:index/remoteImage:RemoteImage").find((i) => i.name === "backup-image")!;
    expect(backup!.inputs.image).toBe(`sha256:${Buffer.from("backup-image").toString("hex").padEnd(64, "0")}`);
    const build = reveal(image.inputs.build) as { context: string; buildArgs: Record<string, string> } | undefined;
    const neo4j = ev().byType("docker:index/remoteImage:RemoteImage").find((i) => i.name === "neo4j-image")!;
    if (build) expect(build.buildArgs.NEO4J_IMAGE).toBe(neo4j.inputs.name);
    else expect(image.inputs.name).toMatch(/\/backup:/);
  });

  it("starts graphiti only after Neo4j is healthy", () => {
    // Neo4j is created with wait: true, so graphiti's dependency on it means a healthy Neo4j.
    const names = ev().resources.map((r) => r.name);
    expect(names.indexOf("graphiti-1")).toBeGreaterThan(names.indexOf("neo4j"));
    const [neo4j] = replicasOf(ev(), "neo4j");
    expect(neo4j!.inputs.wait).toBe(true);
  });

  it("gives the health monitor its targets, derived from the MCP servers, as a config file", () => {
    const [monitor] = replicasOf(ev(), "health-monitor");
    const config = filesOf(ev(), "health-monitor").find((f) => f.path === "/app/config/monitor.json")!;
    const file = JSON.parse(config.content) as { targets: { name: string; checks: { url?: string }[] }[]; alertThresholds: Inputs };
    expect(file.targets.filter((t) => /^(gmail|graphiti|rag)-1$/.test(t.name)).map((t) => t.checks[0]!.url)).toEqual([
      "http://gmail-1:8080/health",
      "http://graphiti-1:8000/health",
      "http://rag-1:8082/health",
    ]);
    expect(file.alertThresholds.response_time).toBe(5000);
    expect(reveal(monitor!.inputs.envs)).toEqual(expect.arrayContaining(["HEALTH_CHECK_INTERVAL=30", "PORT=8083", "NODE_ENV=production"]));
  });

  it("exports the URLs, networks and volumes a user needs", () => {
    const o = ev().outputs as { mcpServers: Record<string, { url: string; healthUrl: string }>; dashboardUrl: string; healthApiUrl: string; networks: Inputs; volumes: Inputs };
    expect(Object.keys(o.mcpServers).sort()).toEqual(["gmail", "graphiti", "rag"]);
    expect(o.mcpServers.graphiti!.url).toMatch(/:8082\/mcp$/);
    expect(o.dashboardUrl).toMatch(/:8083\/dashboard$/);
    expect(o.healthApiUrl).toMatch(/:8083\/api\/health\/overall$/);
    expect(Object.keys(o.networks).sort()).toEqual(["backend", "frontend"]);
    expect(Object.keys(o.volumes).sort()).toEqual(["gmail-data", "health-monitor-data", "neo4j-data", "neo4j-logs", "rag-data"]);
  });

  it("declares every Docker resource through the stack's own provider (its dockerHost), never the default one", () => {
    const docker = ev().resources.filter((r) => r.type.startsWith("docker:"));
    expect(docker.length).toBeGreaterThan(10);
    for (const r of docker) expect(r.provider ?? "(default provider)", `${r.type} ${r.name}`).toMatch(/pulumi:providers:docker::mcp-platform-docker::/);
  });

  it("parents every resource under a component with an mcp-platform type token", () => {
    const components = ev().resources.filter((r) => r.type.startsWith("mcp-platform:"));
    for (const c of components) expect(c.type).toMatch(/^mcp-platform:[a-z0-9-]+:[A-Z][A-Za-z0-9]+$/);
    expect(components.length).toBeGreaterThanOrEqual(7);
  });
}

// The gateway publishes every host port; replicas are chained so an update replaces one at a time.
export function itPublishesThroughTheGateway(stack: string, ev: () => Evaluation) {
  const secrets = fakeSecrets(stack);
  const { config } = parseConfig({ ...stackConfig(stack), ...secrets }, (k) => k in secrets, () => true);
  const ports = (c: { inputs: Inputs }) => (reveal(c.inputs.ports) ?? []) as { internal: number; external: number; ip: string }[];

  it("publishes host ports from the gateway alone: exactly publishedPortClaims, bound to publishAddress", () => {
    const publishers = serviceContainers(ev()).filter((c) => ports(c).length > 0);
    expect(publishers.map((c) => label(c, "component"))).toEqual(["gateway"]);
    const expected = publishedPortClaims(config).map(([p]) => ({ internal: p, external: p, ip: config.publishAddress, protocol: "tcp" }));
    expect(ports(publishers[0]!)).toEqual(expected);
    expect(ports(replicasOf(ev(), "health-monitor")[0]!)).toEqual([]);
  });

  it("chains each MCP server's replicas in order, each created with wait: true on its healthcheck", () => {
    for (const [name, s] of Object.entries(config.services).filter(([, s]) => s.enabled)) {
      const replicas = replicasOf(ev(), name);
      expect(replicas.map((r) => r.name)).toEqual(Array.from({ length: s.replicas }, (_, i) => `${name}-${i + 1}`));
      replicas.forEach((r, i) => {
        expect(r.inputs.wait, r.name).toBe(true);
        expect((r.inputs.healthcheck as Inputs).tests, r.name).toBeInstanceOf(Array);
        const onReplicas = r.dependsOn.filter((d) => new RegExp(`^${name}-\\d+$`).test(d));
        expect(onReplicas, r.name).toEqual(i === 0 ? [] : [`${name}-${i}`]);
      });
    }
  });

  it("gives each replica its own alias next to the service's, and lists every replica in the gateway's upstream", () => {
    const conf = filesOf(ev(), "gateway").find((f) => f.path.endsWith("/haproxy.cfg"))!.content;
    expect(conf).toBe(gatewayConf(config));
    for (const [name, s] of Object.entries(config.services).filter(([, s]) => s.enabled)) {
      replicasOf(ev(), name).forEach((r, i) => {
        const frontend = (reveal(r.inputs.networksAdvanced) as { aliases: string[] }[])[0]!;
        expect(frontend.aliases, r.name).toEqual([name, `${name}-${i + 1}`]);
        expect(conf).toContain(`server ${name}-${i + 1} ${name}-${i + 1}:${s.port}\n`);
      });
    }
  });

  it("runs the gateway hardened: HAProxy's own user, read-only root, no capabilities, after the services it proxies", () => {
    const [gateway] = serviceContainers(ev(), "gateway");
    const i = reveal(gateway!.inputs) as Inputs;
    expect([i.user, i.readOnly, i.entrypoints]).toEqual(["99:99", true, ["/bin/sh", "/usr/local/etc/haproxy/mcp-platform/entrypoint.sh"]]);
    expect(i.capabilities).toEqual({ drops: ["ALL"], adds: [] });
    expect(Object.keys(i.tmpfs as Inputs)).toEqual(["/tmp"]);
    const proxied = [...serviceContainers(ev(), "mcp-server"), ...serviceContainers(ev(), "health-monitor")].map((c) => c.name);
    expect(gateway!.dependsOn).toEqual(expect.arrayContaining(proxied));
  });
}
