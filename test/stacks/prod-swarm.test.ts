import { beforeAll, describe, expect, it, vi } from "vitest";
import { evaluateStack, isSecretValue, reveal, type DeclaredResource, type Evaluation } from "../harness/program";
import { FAKE_SECRETS, swarmConfig } from "../harness/stack-files";

const SERVICE = "docker:index/service:Service";
type Obj = Record<string, unknown>;
const label = (r: DeclaredResource, key: string) =>
  (reveal(r.inputs.labels) as { label: string; value: string }[] | undefined)?.find((l) => l.label === key)?.value;

let host: Evaluation;
let swarm: Evaluation;
beforeAll(async () => {
  host = await evaluateStack("prod");
  // A second evaluation in this process: re-import index.ts with Swarm mode switched on by a setting.
  vi.resetModules();
  // Two gateways: on a Swarm each updates stop-first on its node while the other serves.
  swarm = await evaluateStack("prod", { config: swarmConfig("prod") });
});

const services = (ev: Evaluation) => ev.byType(SERVICE).filter((s) => label(s, "component") !== "volume-init");
const byService = (ev: Evaluation, name: string) => services(ev).find((s) => label(s, "service") === name)!;
const task = (s: DeclaredResource) => reveal(s.inputs.taskSpec) as Obj;
const container = (s: DeclaredResource) => task(s).containerSpec as Obj;

describe("the prod stack in swarm mode", () => {
  it("declares every service as a docker.Service and no container", () => {
    expect(swarm.byType("docker:index/container:Container")).toEqual([]);
    expect([...new Set(services(swarm).map((s) => label(s, "service")))].sort()).toEqual(["backup", "gateway", "gmail", "graphiti", "health-monitor", "neo4j", "rag"]);
  });

  it("gives stateless services rolling start-first updates with rollback", () => {
    for (const name of ["gmail", "graphiti", "rag"]) {
      const s = byService(swarm, name);
      expect(s.inputs.updateConfig, name).toMatchObject({ order: "start-first", failureAction: "rollback", parallelism: 1 });
      expect(s.inputs.rollbackConfig, name).toMatchObject({ order: "start-first" });
    }
  });

  it("runs each MCP server replica as a single-task service with a name of its own, chained for updates", () => {
    for (const name of ["gmail", "graphiti", "rag"]) {
      const replicas = services(swarm).filter((s) => label(s, "service") === name);
      expect(replicas.map((s) => s.name), name).toEqual([`${name}-1`, `${name}-2`]);
      for (const [i, s] of replicas.entries()) {
        expect(s.inputs.mode, s.name).toEqual({ replicated: { replicas: 1 } });
        const frontend = (task(s).networksAdvanceds as { aliases: string[] }[])[0]!;
        expect(frontend.aliases, s.name).toEqual([name, `${name}-${i + 1}`]);
      }
      // The second waits for the first, and each for its own update to converge: Pulumi rolls an update
      // through them one at a time.
      expect(replicas[1]!.dependsOn, name).toContain(replicas[0]!.name);
      for (const s of replicas) expect(s.inputs.convergeConfig, s.name).toMatchObject({ delay: "5s", timeout: expect.stringMatching(/^\d+s$/) });
    }
  });

  it("names every image by a registry digest, which every node can pull, never by a local image id", () => {
    for (const s of swarm.byType(SERVICE)) expect(container(s).image, s.name).toMatch(/^[a-z0-9./:-]+@sha256:[0-9a-f]{64}$/);
    expect(container(byService(swarm, "neo4j")).image).toMatch(/^neo4j@sha256:/);
    expect(swarm.byType("docker:index/registryImage:RegistryImage")).toEqual([]);
  });

  it("runs two gateways, one task per node (each holds the published ports there), publishing in host mode and updating stop-first", () => {
    const gateway = byService(swarm, "gateway");
    expect(gateway.inputs.mode).toEqual({ replicated: { replicas: 2 } });
    expect((task(gateway).placement as Obj).maxReplicas).toBe(1);
    expect(gateway.inputs.updateConfig).toMatchObject({ order: "stop-first", parallelism: 1 });
    const ports = (reveal(gateway.inputs.endpointSpec) as { ports: { publishMode: string }[] }).ports;
    expect(new Set(ports.map((p) => p.publishMode))).toEqual(new Set(["host"]));
  });

  it("replaces the stateful services and the gateway delete-first, the MCP servers create-first, as they update", () => {
    // A replacement beside the old service would share Neo4j's store or the gateway's host ports.
    const deleteFirst = services(swarm).filter((s) => s.deleteBeforeReplace).map((s) => label(s, "service"));
    expect([...new Set(deleteFirst)].sort()).toEqual(["backup", "gateway", "health-monitor", "neo4j"]);
    for (const s of services(swarm)) expect(s.deleteBeforeReplace, s.name).toBe((s.inputs.updateConfig as Obj).order === "stop-first");
  });

  it("ignores only the platforms Swarm fills in from each image", () => {
    for (const s of swarm.byType(SERVICE)) expect(s.ignoreChanges, s.name).toEqual(["taskSpec.placement.platforms"]);
  });

  it("places Neo4j on the node labelled for state, one replica", () => {
    const neo4j = byService(swarm, "neo4j");
    expect(neo4j.inputs.mode).toEqual({ replicated: { replicas: 1 } });
    expect((task(neo4j).placement as Obj).constraints).toEqual(["node.labels.mcp-platform.state == true"]);
  });

  it("mounts the Neo4j password, the OpenAI key and the Gmail OAuth keys as Swarm secrets, never in env", () => {
    const secrets = swarm.byType("docker:index/secret:Secret");
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    for (const s of secrets) expect(isSecretValue(s.inputs.data), s.name).toBe(true);
    const values = [...Object.values(FAKE_SECRETS), "generated-neo4j-password"];
    for (const s of services(swarm)) {
      const env = (container(s).env ?? {}) as Record<string, string>;
      for (const [k, v] of Object.entries(env)) for (const secret of values) expect(v.includes(secret), `${label(s, "service")} ${k}`).toBe(false);
    }
    expect(container(byService(swarm, "neo4j")).env).toMatchObject({ NEO4J_AUTH_PATH: "/run/secrets/neo4j-neo4j-auth" });
    const gmailSecrets = (container(byService(swarm, "gmail")).secrets as Obj[]).map((s) => s.fileName);
    expect(gmailSecrets).toContain("/app/config/gcp-oauth.keys.json");
  });

  it("passes config files as docker.ServiceConfig", () => {
    const monitor = byService(swarm, "health-monitor");
    expect((container(monitor).configs as Obj[]).map((c) => c.fileName)).toContain("/app/config/monitor.json");
    expect(swarm.byType("docker:index/serviceConfig:ServiceConfig").length).toBeGreaterThan(0);
  });

  it("uses overlay networks, the backend internal and encrypted", () => {
    const nets = swarm.byType("docker:index/network:Network");
    expect(nets.map((n) => n.inputs.driver)).toEqual(["overlay", "overlay"]);
    const backend = nets.find((n) => n.inputs.internal)!;
    expect(backend.inputs.options).toEqual({ encrypted: "true" });
  });

  it("declares no volume resources: Docker creates them on the state node, and destroy cannot delete them", () => {
    expect(swarm.byType("docker:index/volume:Volume")).toEqual([]);
  });
});

describe("one model, two engines", () => {
  const hostFacts = (ev: Evaluation) => {
    const containers = ev.byType("docker:index/container:Container").filter((c) => label(c, "component") !== "volume-init");
    const out: Record<string, { replicas: number; memoryMb: number; cpus: number; ports: number[] }> = {};
    for (const c of containers) {
      const name = label(c, "service")!;
      const ports = ((reveal(c.inputs.ports) ?? []) as { external: number }[]).map((p) => p.external);
      const prev = out[name];
      out[name] = { replicas: (prev?.replicas ?? 0) + 1, memoryMb: c.inputs.memory as number, cpus: Number(c.inputs.cpus), ports: [...(prev?.ports ?? []), ...ports] };
    }
    for (const v of Object.values(out)) v.ports = [...new Set(v.ports)].sort();
    return out;
  };
  const swarmFacts = (ev: Evaluation) => {
    const out: Record<string, { replicas: number; memoryMb: number; cpus: number; ports: number[] }> = {};
    for (const s of services(ev)) {
      const limits = (task(s).resources as { limits: { memoryBytes: number; nanoCpus: number } }).limits;
      const ports = (((reveal(s.inputs.endpointSpec) as Obj | undefined)?.ports ?? []) as { publishedPort: number }[]).map((p) => p.publishedPort);
      const name = label(s, "service")!;
      // A server's replicas are single-task services of their own: add them up.
      out[name] = {
        replicas: (out[name]?.replicas ?? 0) + (s.inputs.mode as { replicated: { replicas: number } }).replicated.replicas,
        memoryMb: limits.memoryBytes / 1024 / 1024,
        cpus: limits.nanoCpus / 1e9,
        ports: ports.sort(),
      };
    }
    return out;
  };

  it("declares the same services, replica counts, limits and published ports in host and swarm mode", () => {
    expect(Object.keys(hostFacts(host)).length).toBe(7);
    // But for the gateways: one on a host, two on a Swarm.
    expect(swarmFacts(swarm)).toEqual({ ...hostFacts(host), gateway: { ...hostFacts(host).gateway!, replicas: 2 } });
  });

  it("verifies the deploy after every Swarm service (their ids are among the checks' triggers)", () => {
    const verify = swarm.byType("command:local:Command").find((c) => c.name === "verify-checks")!;
    const triggers = reveal(verify.inputs.triggers) as unknown[];
    for (const s of services(swarm)) expect(triggers, s.name).toContain(`${s.name}-id`);
  });
});
