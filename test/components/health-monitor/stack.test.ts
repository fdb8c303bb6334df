// The monitor as the dev stack declares it, under mocks (what the program declares, not that it works:
// service.test.ts and dashboard.test.ts run it). Two gmail replicas, an alert webhook and a gateway token.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { platformSchema } from "../../../components/config/schema";
import { healthMonitorSpec } from "../../../components/health-monitor/spec";
import { isDockerSocket } from "../../../policies/container/no-docker-socket";
import { evaluateStack, isSecretValue, reveal, type Evaluation } from "../../harness/program";
import { FAKE_SECRETS, ROOT } from "../../harness/stack-files";
import { CONTAINER, VOLUME, filesOf, replicasOf } from "../../stacks/declared";
import { networkRef } from "../../harness/fixtures";

type Inputs = Record<string, unknown>;
const WEBHOOK = "https://hooks.example.com/services/T000/B000/monitor-secret-url";
const TOKEN = "monitor-gateway-token-0123456789";

let ev: Evaluation;
let monitor: Inputs;
let file: { targets: { name: string; service: string; kind: string; containerId?: string; checks: Inputs[] }[]; backup: Inputs; resources: Inputs; alerts: Inputs };

beforeAll(async () => {
  ev = await evaluateStack("dev", {
    config: {
      "mcp-platform:services": JSON.stringify({ gmail: { replicas: 2, memoryMb: 256, cpus: 0.5 }, graphiti: { memoryMb: 512, cpus: 0.5 }, rag: { memoryMb: 256, cpus: 0.5 } }),
      "mcp-platform:healthMonitor": JSON.stringify({ memoryMb: 128, cpus: 0.25, alertWebhookKey: "alertWebhookUrl", gatewayTokenKey: "monitorGatewayToken" }),
    },
    secrets: { ...FAKE_SECRETS, "mcp-platform:alertWebhookUrl": WEBHOOK, "mcp-platform:monitorGatewayToken": TOKEN },
  });
  const [m] = replicasOf(ev, "health-monitor");
  monitor = m!.inputs;
  const config = filesOf(ev, "health-monitor").find((f) => f.path === "/app/config/monitor.json")!;
  file = JSON.parse(config.content) as typeof file;
});

describe("the health monitor in the dev stack", () => {
  it("watches exactly the stack's servers and each of their replicas, their routes, Neo4j and the gateway", () => {
    const replicas = ["gmail", "graphiti", "rag"].flatMap((s) => replicasOf(ev, s).map((c) => c.name)).sort();
    expect(replicas).toEqual(["gmail-1", "gmail-2", "graphiti-1", "rag-1"]);
    expect(file.targets.filter((t) => t.kind === "mcp-replica").map((t) => t.name).sort()).toEqual(replicas);
    expect(file.targets.filter((t) => t.kind === "gateway-route").map((t) => t.name)).toEqual(["gmail@gateway", "graphiti@gateway", "rag@gateway"]);
    expect(file.targets.filter((t) => !t.kind.match(/mcp-replica|gateway-route/)).map((t) => t.name)).toEqual(["neo4j", "gateway"]);
  });

  it("probes each route through the gateway as a client does: its generated key, its certificate, its public name", () => {
    const files = filesOf(ev, "health-monitor");
    expect(files.filter((f) => f.path.startsWith("/app/secrets/gateway-key-")).map((f) => [f.path, f.secret])).toEqual([
      ["/app/secrets/gateway-key-gmail", true],
      ["/app/secrets/gateway-key-graphiti", true],
      ["/app/secrets/gateway-key-rag", true],
    ]);
    expect(files.find((f) => f.path === "/app/secrets/gateway-ca.pem")).toMatchObject({ mode: "0444", secret: false });
    const route = file.targets.find((t) => t.name === "gmail@gateway")!;
    expect(route.checks.map((c) => [c.url, c.bearerTokenFile, c.tls])).toEqual([
      ["https://gateway:8080/health", "/app/secrets/gateway-key-gmail", { caFile: "/app/secrets/gateway-ca.pem", serverName: "127.0.0.1" }],
      ["https://gateway:8080/mcp", "/app/secrets/gateway-key-gmail", { caFile: "/app/secrets/gateway-ca.pem", serverName: "127.0.0.1" }],
    ]);
    // The gateway still starts after the monitor is healthy.
    const gateway = ev.byType(CONTAINER).find((c) => c.name === "gateway-1")!;
    expect(gateway.dependsOn).toContain("health-monitor");
  });

  it("finds each replica's container by its id, for memory and CPU", () => {
    for (const t of file.targets.filter((x) => x.kind === "mcp-replica")) expect(t.containerId, t.name).toBe(`${t.name}-id`);
    expect(file.targets.find((t) => t.name === "neo4j")!.containerId).toBe("neo4j-id");
    expect(file.resources).toEqual({ cgroupRoot: "/host/cgroup" });
  });

  it("mounts the backups volume read-only, its own history volume, and the cgroup tree read-only; no Docker socket", () => {
    const mounts = reveal(monitor.mounts) as { type: string; source?: string; target: string; readOnly?: boolean }[];
    const backupVolume = ev.byType(VOLUME).find((v) => v.name === "backup-volume")!;
    expect(mounts).toEqual(
      expect.arrayContaining([
        { type: "volume", source: reveal(backupVolume.inputs.name), target: "/backups", readOnly: true },
        { type: "volume", source: "mcp-dev-health-monitor-data", target: "/app/data", readOnly: false },
        { type: "bind", source: "/sys/fs/cgroup", target: "/host/cgroup", readOnly: true },
      ]),
    );
    expect(mounts.filter((x) => x.type === "bind")).toHaveLength(1);
    for (const x of mounts) expect(x.source && isDockerSocket(x.source), JSON.stringify(x)).toBeFalsy();
    expect(file.backup).toEqual({ statusFile: "/backups/status.json", rpoMinutes: 1440 });
  });

  it("has its history volume backed up like every volume a service writes", () => {
    const [backup] = replicasOf(ev, "backup");
    const mounts = reveal(backup!.inputs.mounts) as { source?: string; target: string; readOnly?: boolean }[];
    expect(mounts).toContainEqual({ type: "volume", source: "mcp-dev-health-monitor-data", target: "/volumes/health-monitor-data", readOnly: true });
  });

  it("sits on the frontend (the gateway reaches it) and the internal backend (Neo4j's Bolt port), publishing nothing", () => {
    const nets = reveal(monitor.networksAdvanced) as { name: string; aliases: string[] }[];
    expect(nets).toEqual([
      { name: "mcp-dev-frontend", aliases: ["health-monitor"] },
      { name: "mcp-dev-backend", aliases: ["health-monitor"] },
    ]);
    expect(reveal(monitor.ports)).toEqual([]);
  });

  it("gets the webhook URL and the gateway token as secret files, never in env or plain state", () => {
    const secretFiles = filesOf(ev, "health-monitor").filter((f) => f.path.startsWith("/app/secrets/gateway-token") || f.path.startsWith("/app/secrets/alert"));
    expect(secretFiles.map((f) => [f.path, f.mode, f.secret]).sort()).toEqual([
      ["/app/secrets/alert-webhook-url", "0400", true],
      ["/app/secrets/gateway-token", "0400", true],
    ]);
    const plain = JSON.stringify(ev.resources.map((r) => r.inputs), (_k, v: unknown) => (isSecretValue(v) ? "[secret]" : v));
    expect(plain).not.toContain(WEBHOOK);
    expect(plain).not.toContain(TOKEN);
    expect(file.alerts).toEqual({ webhookUrlFile: "/app/secrets/alert-webhook-url", resendIntervalMinutes: 60 });
  });

  it("builds its image from this repository's monitor, and runs hardened", () => {
    const image = ev.byType("docker:index/remoteImage:RemoteImage").find((i) => i.name === "health-monitor-image")!;
    expect((reveal(image.inputs.build) as Inputs).context).toBe(`${ROOT}/components/health-monitor/app`);
    expect(monitor.user).toBe("1000:1000");
    expect(monitor.readOnly).toBe(true);
    expect((monitor.capabilities as Inputs).adds).toEqual([]);
    expect(ev.byType(CONTAINER).filter((c) => c.name.startsWith("health-monitor")).map((c) => c.name)).toEqual(["health-monitor-volume-init", "health-monitor"]);
  });
});

describe("the monitor's spec on a Swarm", () => {
  it("mounts no cgroup tree when the stack reads none (swarm mode has no container ids)", () => {
    const m = platformSchema.parse({}).healthMonitor;
    const spec = healthMonitorSpec(m, { image: "x", frontendNetwork: networkRef("f"), backendNetwork: networkRef("b"), configFile: "{}", dataVolume: "d" });
    expect(spec.hostMounts).toEqual([]);
    expect(spec.volumes.map((v) => v.path)).toEqual(["/app/data"]);
    expect(spec.stateful).toBe(true);
  });

  it("gets the gateway's generated keys as secret files and its certificate as a file to trust", () => {
    const m = platformSchema.parse({}).healthMonitor;
    const key = pulumi.secret("k");
    const spec = healthMonitorSpec(m, { image: "x", frontendNetwork: networkRef("f"), backendNetwork: networkRef("b"), configFile: "{}", dataVolume: "d", gatewayKeys: { gmail: key }, gatewayCa: "-----BEGIN CERTIFICATE-----" });
    expect(spec.files.map((f) => [f.path, f.secret])).toEqual([
      ["/app/config/monitor.json", false],
      ["/app/secrets/gateway-key-gmail", true],
      ["/app/secrets/gateway-ca.pem", false],
    ]);
  });
});
