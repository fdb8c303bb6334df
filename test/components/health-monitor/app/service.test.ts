// The monitor for real, on loopback: compiled as its image compiles it and run as `node dist/main.js`,
// against MCP servers built with the SDK (healthy replicas, a route that needs a bearer token, one that
// fails its MCP handshake, a slow one, one that is not MCP), a Bolt peer, a TCP data service, a webhook
// receiver, a backup status file whose age crosses the RPO, and a cgroup tree with a container near its
// memory limit. Every route's JSON is checked, alerts are raised and resolved, the WebSocket delivers
// updates, and /metrics is read with the Prometheus text parser.
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import WebSocket from "ws";
import type { Alert } from "../../../../components/health-monitor/app/src/alerts";
import type { MonitorConfigInput } from "../../../../components/health-monitor/app/src/config";
import type { HistoryEntry } from "../../../../components/health-monitor/app/src/state";
import type { Overall, ServiceHealth } from "../../../../components/health-monitor/app/src/monitor";
import { skipOrFail } from "../../../harness/tools";
import {
  boltPeer,
  compileApp,
  getJson,
  listen,
  mcpServer,
  plainWebServer,
  startMonitor,
  stop,
  tempDir,
  waitFor,
  webhookReceiver,
  type RunningMonitor,
  type Server,
} from "./fleet";
import { parsePrometheus, prometheusParserProblem } from "./prometheus";

const TOKEN = "s3cret-gateway-token-0123";
const CONTAINER = "ab12".padEnd(64, "c");
const MB = 1024 * 1024;

let dist: string;
let dir: string;
let monitor: RunningMonitor;
let config: MonitorConfigInput;
const servers: Record<string, Server> = {};
let good: Awaited<ReturnType<typeof mcpServer>>;
let route: Awaited<ReturnType<typeof mcpServer>>;
let webhook: Awaited<ReturnType<typeof webhookReceiver>>;
let bolt: Awaited<ReturnType<typeof boltPeer>>;
let failing = true;
let slowMs = 1500;
const wsMessages: { type: string; data: unknown }[] = [];
let ws: WebSocket;
let statusFile: string;

const writeStatus = (verifiedAgoSeconds: number, extra: object = {}) => {
  const t = new Date(Date.now() - verifiedAgoSeconds * 1000).toISOString();
  fs.writeFileSync(statusFile, JSON.stringify({ stack: "test", rpoMinutes: 1, lastVerifiedBackup: t, lastArchive: "mcp-test.tar.gz", lastRun: { time: t, ok: true, error: "" }, ...extra }));
};

const overall = async () => (await getJson<Overall>(`${monitor.url}/api/health/overall`)).body;
const alerts = async (q = "") => (await getJson<Alert[]>(`${monitor.url}/api/alerts${q}`)).body;
const openAlert = (type: string, target: string) => async () => (await alerts("?resolved=false")).find((a) => a.type === type && a.target === target);
const resolvedAlert = (type: string, target: string) => async () => (await alerts("?resolved=true")).find((a) => a.type === type && a.target === target);

beforeAll(async () => {
  dist = compileApp();
  dir = tempDir("monitor-e2e-");
  good = await mcpServer({ tools: 2 });
  servers["good-2"] = await mcpServer({ tools: 2 });
  route = await mcpServer({ tools: 2, token: TOKEN });
  servers.failing = await mcpServer({ failMcp: () => failing });
  servers.slow = await mcpServer({ toolsDelayMs: () => slowMs });
  servers.notmcp = await plainWebServer();
  bolt = await boltPeer();
  const tcp = await listen((_q, r) => r.end());
  servers.tcp = { url: tcp.url, port: tcp.port, close: () => stop(tcp.server) };
  webhook = await webhookReceiver();

  fs.writeFileSync(path.join(dir, "token"), `${TOKEN}\n`);
  fs.writeFileSync(path.join(dir, "webhook-url"), webhook.url);
  statusFile = path.join(dir, "status.json");
  // Verified 55 s ago under a 1 min RPO: stale a few seconds into the test.
  writeStatus(55);
  // A container at 95% of its memory limit, in a cgroup v2 tree laid out as Docker's systemd driver does.
  const scope = path.join(dir, "cgroup", "system.slice", `docker-${CONTAINER}.scope`);
  fs.mkdirSync(scope, { recursive: true });
  fs.writeFileSync(path.join(dir, "cgroup", "cgroup.controllers"), "cpu memory\n");
  fs.writeFileSync(path.join(scope, "memory.current"), String(243 * MB + 10 * MB));
  fs.writeFileSync(path.join(scope, "memory.stat"), `inactive_file ${10 * MB}\n`);
  fs.writeFileSync(path.join(scope, "memory.max"), String(256 * MB));
  fs.writeFileSync(path.join(scope, "cpu.stat"), "usage_usec 1000\n");
  fs.writeFileSync(path.join(scope, "cpu.max"), "50000 100000\n");

  const mcpReplica = (name: string, service: string, url: string) => ({
    name,
    service,
    kind: "mcp-replica" as const,
    role: "service" as const,
    checks: [
      { type: "http" as const, url: `${url}/health` },
      { type: "mcp" as const, url: `${url}/mcp`, protocolVersions: ["2025-11-25" as const, "2025-03-26" as const] },
    ],
  });
  config = {
    intervalSeconds: 1,
    probeTimeoutMs: 3000,
    alertThresholds: { response_time: 1000, error_rate: 0.1, consecutive_failures: 2, memory_usage: 0.9, cpu_usage: 0.8, error_rate_window: 100 },
    targets: [
      { ...mcpReplica("good-1", "good", good.url), containerId: CONTAINER },
      mcpReplica("good-2", "good", servers["good-2"].url),
      {
        name: "good@gateway",
        service: "good",
        kind: "gateway-route",
        role: "service",
        checks: [
          { type: "http", url: `${route.url}/health`, bearerTokenFile: path.join(dir, "token") },
          { type: "mcp", url: `${route.url}/mcp`, bearerTokenFile: path.join(dir, "token") },
        ],
      },
      mcpReplica("failing-1", "failing", servers.failing.url),
      mcpReplica("slow-1", "slow", servers.slow.url),
      mcpReplica("notmcp-1", "notmcp", servers.notmcp.url),
      { name: "neo4j", service: "neo4j", kind: "neo4j", role: "dependency", checks: [{ type: "bolt", host: "127.0.0.1", port: bolt.port }] },
      { name: "vector-db", service: "vector-db", kind: "data-service", role: "dependency", checks: [{ type: "tcp", host: "127.0.0.1", port: servers.tcp.port }] },
    ],
    backup: { statusFile, rpoMinutes: 1 },
    resources: { cgroupRoot: path.join(dir, "cgroup") },
    alerts: { webhookUrlFile: path.join(dir, "webhook-url"), resendIntervalMinutes: 60 },
    history: { file: path.join(dir, "state.json"), perTarget: 50, resolvedAlerts: 100 },
  };
  monitor = await startMonitor(dist, config, { dir });
  ws = new WebSocket(`ws://127.0.0.1:${monitor.port}/`);
  ws.on("message", (d) => wsMessages.push(JSON.parse(String(d)) as { type: string; data: unknown }));
  await new Promise((r, j) => ws.once("open", r).once("error", j));
}, 120_000);

afterAll(async () => {
  ws?.close();
  await monitor?.stop();
  for (const s of [good, route, webhook, bolt, ...Object.values(servers)]) await s?.close();
  fs.rmSync(dist, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("the health monitor on loopback", () => {
  it("answers /health as the PA monitor did", async () => {
    const { status, body } = await getJson<Record<string, unknown>>(`${monitor.url}/health`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: "healthy", service: "health-monitor", version: "1.0.0", dependencies: { targets: 8 } });
  });

  it("checks every target and reports each service's real status", async () => {
    const o = await waitFor("every target checked", async () => {
      const x = await overall();
      return Object.values(x.services).every((s) => s.kind === "backup" || s.targets.every((t) => t.status !== "unknown")) ? x : undefined;
    });
    expect(Object.keys(o.services).sort()).toEqual(["backup", "failing", "good", "neo4j", "notmcp", "slow", "vector-db"]);
    expect(o.services.good).toMatchObject({ status: "healthy", kind: "mcp-server", replicas: 2, healthyReplicas: 2 });
    expect(o.services.failing!.status).toBe("unhealthy");
    expect(o.services.notmcp!.status).toBe("unhealthy");
    expect(o.services.slow!.status).toBe("degraded");
    expect(o.services.neo4j).toMatchObject({ status: "healthy", kind: "neo4j" });
    expect(o.services["vector-db"]).toMatchObject({ status: "healthy", kind: "data-service" });
    expect(o).toMatchObject({ overall: "unhealthy", totalServices: 7 });
    expect(o.healthyServices + o.degradedServices + o.unhealthyServices + o.unknownServices).toBe(7);
  });

  it("runs initialize and tools/list with each protocol revision, through the route with the bearer token", async () => {
    const { body: s } = await getJson<ServiceHealth>(`${monitor.url}/api/health/service/good`);
    const viaGateway = s.targets.find((t) => t.name === "good@gateway")!;
    expect(viaGateway).toMatchObject({ kind: "gateway-route", status: "healthy", tools: 2 });
    expect(viaGateway.checks.map((c) => [c.check, c.ok, c.detail])).toEqual([
      ["http /health", true, "HTTP 200"],
      ["mcp 2025-11-25", true, "2 tools"],
      ["mcp 2025-03-26", true, "2 tools"],
    ]);
    const mcp = viaGateway.checks.find((c) => c.check === "mcp 2025-03-26")!;
    expect(mcp.protocolVersion).toBe("2025-03-26");
    expect(mcp.steps.map((x) => x.step)).toEqual(["initialize", "tools/list"]);
    expect(route.initializeVersions).toEqual(expect.arrayContaining(["2025-11-25", "2025-03-26"]));
    const replica = s.targets.find((t) => t.name === "good-1")!;
    expect(replica.memoryRatio).toBeCloseTo(243 / 256, 3);
  });

  it("tells a failing handshake and a server that is not MCP apart from a healthy one", async () => {
    const { body: failingSvc } = await getJson<ServiceHealth>(`${monitor.url}/api/health/service/failing`);
    expect(failingSvc.targets[0]!.error).toMatch(/^mcp 2025-11-25: initialize: HTTP 500: .*Server does not support tools/);
    // /health alone says healthy: only the MCP probe shows it is not.
    expect(failingSvc.targets[0]!.checks[0]).toMatchObject({ check: "http /health", ok: true });
    const { body: notMcp } = await getJson<ServiceHealth>(`${monitor.url}/api/health/service/notmcp`);
    expect(notMcp.targets[0]!.error).toMatch(/^mcp 2025-11-25: initialize: /);
  });

  it("answers the runbook's service names and says what exists when a name is unknown", async () => {
    expect((await getJson<ServiceHealth>(`${monitor.url}/api/health/service/good-mcp-server`)).body.service).toBe("good");
    expect((await getJson<ServiceHealth>(`${monitor.url}/api/health/service/good-2`)).body.service).toBe("good");
    const missing = await getJson<{ error: string; services: string[] }>(`${monitor.url}/api/health/service/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: "no service nope", services: ["good", "failing", "slow", "notmcp", "neo4j", "vector-db", "backup"] });
  });

  it("raises the matching alert within the configured number of checks, once each, and sends each once", async () => {
    const down = await waitFor("service_down failing-1", openAlert("service_down", "failing-1"));
    expect(down).toMatchObject({ severity: "critical", service: "failing", resolved: false });
    expect(down.message).toMatch(/failing-1 failed \d+ checks in a row \(threshold 2\)/);
    await waitFor("service_down notmcp-1", openAlert("service_down", "notmcp-1"));
    const slow = await waitFor("high_response_time slow-1", openAlert("high_response_time", "slow-1"));
    expect(slow.message).toMatch(/over 1000 ms for \d+ checks in a row/);
    const mem = await waitFor("resource_exhaustion good-1", openAlert("resource_exhaustion", "good-1"));
    expect(mem.message).toBe("good-1 uses 94.9% of its memory limit (threshold 90%)");
    const stale = await waitFor("backup_stale", openAlert("backup_stale", "backup"));
    expect(stale.message).toMatch(/^the last verified backup is 1 min old, older than the 1 min RPO$/);
    // A few more checks: still one open alert per condition.
    await new Promise((r) => setTimeout(r, 2500));
    const open = await alerts("?resolved=false");
    expect(open.map((a) => a.key).sort()).toEqual([
      "backup_stale:backup",
      "high_response_time:slow-1",
      "resource_exhaustion:memory:good-1",
      "service_down:failing-1",
      "service_down:notmcp-1",
    ]);
    const firing = await waitFor("five webhook deliveries", () => (webhook.received.length >= 5 ? webhook.received : undefined));
    expect(firing.map((p) => `${p.alert.state} ${p.alert.type} ${p.alert.target}`).sort()).toEqual([
      "firing backup_stale backup",
      "firing high_response_time slow-1",
      "firing resource_exhaustion good-1",
      "firing service_down failing-1",
      "firing service_down notmcp-1",
    ]);
    expect(firing.find((p) => p.alert.target === "failing-1")!.text).toMatch(/^\[FIRING\] critical service_down failing-1: failing-1 failed 2 checks in a row/);
    // Filters of the PA monitor's /api/alerts.
    expect((await alerts("?service=failing")).map((a) => a.target)).toEqual(["failing-1"]);
    expect((await alerts("?service=failing-mcp-server&resolved=false")).map((a) => a.type)).toEqual(["service_down"]);
  });

  it("resolves alerts when the condition goes, sends the resolution, and catches a stopped replica", async () => {
    failing = false;
    slowMs = 0;
    writeStatus(5, { snapshotId: "4f3c2a1b", sizeBytes: 4096, durationSeconds: 3 });
    await servers["good-2"]!.close();
    const fixed = await waitFor("service_down failing-1 resolved", resolvedAlert("service_down", "failing-1"));
    expect(Date.parse(fixed.resolvedAt!)).toBeGreaterThan(Date.parse(fixed.timestamp));
    await waitFor("high_response_time slow-1 resolved", resolvedAlert("high_response_time", "slow-1"));
    await waitFor("backup_stale resolved", resolvedAlert("backup_stale", "backup"));
    const stopped = await waitFor("service_down good-2", openAlert("service_down", "good-2"));
    expect(stopped.message).toMatch(/good-2 failed 2 checks in a row .*ECONNREFUSED/);
    const o = await overall();
    expect(o.services.good).toMatchObject({ status: "degraded", replicas: 2, healthyReplicas: 1 });
    expect(o.services.failing!.status).toBe("healthy");
    expect(o.backup).toMatchObject({ status: "healthy", snapshotId: "4f3c2a1b", sizeBytes: 4096, durationSeconds: 3, rpoMinutes: 1 });
    expect(o.backup!.ageSeconds).toBeLessThan(60);
    const sent = await waitFor("resolutions delivered", () => {
      const r = webhook.received.filter((p) => p.alert.state === "resolved").map((p) => `${p.alert.type} ${p.alert.target}`);
      return r.length >= 3 ? r.sort() : undefined;
    });
    expect(sent).toEqual(["backup_stale backup", "high_response_time slow-1", "service_down failing-1"]);
    expect(webhook.received.filter((p) => p.alert.state === "firing" && p.alert.target === "failing-1")).toHaveLength(1);
  });

  it("pushes updates and alerts over the WebSocket", async () => {
    expect(wsMessages[0]!.type).toBe("health");
    const health = wsMessages.filter((m) => m.type === "health").map((m) => m.data as Overall);
    expect(health.length).toBeGreaterThan(3);
    const failingStates = health.map((h) => h.services.failing?.status);
    expect(failingStates).toContain("unhealthy");
    expect(failingStates.at(-1)).toBe("healthy");
    const alertMsgs = wsMessages.filter((m) => m.type === "alert").map((m) => m.data as Alert);
    expect(alertMsgs.filter((a) => a.target === "failing-1").map((a) => a.resolved)).toEqual([false, true]);
  });

  it("refuses a WebSocket from another site's page", async () => {
    const foreign = new WebSocket(`ws://127.0.0.1:${monitor.port}/`, { headers: { origin: "https://evil.example" } });
    const outcome = await new Promise<string>((r) => {
      foreign.once("open", () => r("open"));
      foreign.once("unexpected-response", (_q, res) => r(`HTTP ${res.statusCode}`));
      foreign.once("error", (e) => r(e.message));
    });
    foreign.terminate();
    expect(outcome).toBe("HTTP 401");
  });

  it("exposes /metrics that the Prometheus text parser reads: up/down, latency histogram, tools, failures, backup age, alerts", async (ctx: TestContext) => {
    skipOrFail(ctx, prometheusParserProblem());
    const res = await fetch(`${monitor.url}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0.0.4/);
    const families = parsePrometheus(await res.text());
    const fam = (n: string) => families.find((f) => f.name === n)!;
    const sample = (n: string, labels: Record<string, string>, sampleName = n) =>
      fam(n).samples.find((s) => s.name === sampleName && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(fam("mcp_monitor_target_up").type).toBe("gauge");
    expect(sample("mcp_monitor_target_up", { target: "failing-1", service: "failing", kind: "mcp-replica" })).toBe(1);
    expect(sample("mcp_monitor_target_up", { target: "good-2" })).toBe(0);
    expect(sample("mcp_monitor_target_up", { target: "neo4j", kind: "neo4j" })).toBe(1);
    expect(fam("mcp_monitor_probe_duration_seconds").type).toBe("histogram");
    expect(sample("mcp_monitor_probe_duration_seconds", { target: "good-1", step: "tools/list" }, "mcp_monitor_probe_duration_seconds_count")).toBeGreaterThan(0);
    expect(sample("mcp_monitor_probe_duration_seconds", { target: "good-1", step: "initialize", le: "+Inf" }, "mcp_monitor_probe_duration_seconds_bucket")).toBeGreaterThan(0);
    expect(sample("mcp_monitor_tools", { target: "good@gateway", protocol_version: "2025-03-26" })).toBe(2);
    expect(sample("mcp_monitor_consecutive_failures", { target: "good-2" })).toBeGreaterThanOrEqual(2);
    expect(sample("mcp_monitor_consecutive_failures", { target: "failing-1" })).toBe(0);
    expect(sample("mcp_monitor_backup_age_seconds", {})).toBeLessThan(60);
    expect(sample("mcp_monitor_alert_active", { type: "service_down", target: "good-2", severity: "critical" })).toBe(1);
    expect(sample("mcp_monitor_alert_active", { type: "service_down", target: "failing-1" })).toBe(0);
    expect(sample("mcp_monitor_container_memory_ratio", { target: "good-1" })).toBeCloseTo(243 / 256, 3);
    expect(fam("mcp_monitor_probes").type).toBe("counter");
  });

  it("keeps history per target and per service, bounded by the configured size", async () => {
    const { body: one } = await getJson<HistoryEntry[]>(`${monitor.url}/api/health/history/failing-1`);
    expect(one.length).toBeGreaterThan(3);
    expect(one.length).toBeLessThanOrEqual(50);
    expect(one[0]).toMatchObject({ target: "failing-1", status: "unhealthy" });
    expect(one.at(-1)).toMatchObject({ target: "failing-1", status: "healthy" });
    expect(one[0]!.checks.map((c) => c.check)).toEqual(["http /health", "mcp 2025-11-25", "mcp 2025-03-26"]);
    const { body: svc } = await getJson<HistoryEntry[]>(`${monitor.url}/api/health/history/good`);
    expect(new Set(svc.map((e) => e.target))).toEqual(new Set(["good-1", "good-2", "good@gateway"]));
    expect(svc.map((e) => e.timestamp)).toEqual(svc.map((e) => e.timestamp).sort());
    const { body: last } = await getJson<HistoryEntry[]>(`${monitor.url}/api/health/history/good?limit=6`);
    // The newest six (checks may land between the two requests, never older ones).
    expect(last).toHaveLength(6);
    expect(last[0]!.timestamp >= svc.at(-6)!.timestamp).toBe(true);
    expect((await getJson(`${monitor.url}/api/health/history/nope`)).status).toBe(404);
  });

  it("lists its targets without secrets", async () => {
    const { body } = await getJson<{ name: string; checks: object[] }[]>(`${monitor.url}/api/services`);
    expect(body.map((t) => t.name)).toEqual(config.targets.map((t) => t.name));
    expect(JSON.stringify(body)).not.toContain("token");
    expect(JSON.stringify(await overall())).not.toContain(TOKEN);
  });

  it("serves the read-only API only", async () => {
    const r = await fetch(`${monitor.url}/api/alerts`, { method: "POST" });
    expect(r.status).toBe(405);
  });

  it("keeps history and alerts across a restart, without sending an open alert again", async () => {
    const before = (await getJson<HistoryEntry[]>(`${monitor.url}/api/health/history/good-1`)).body.length;
    const openBefore = await openAlert("service_down", "good-2")();
    expect(await monitor.stop()).toBe(0);
    expect(fs.existsSync(config.history!.file!)).toBe(true);
    const firingGood2 = () => webhook.received.filter((p) => p.alert.target === "good-2" && p.alert.state === "firing").length;
    expect(firingGood2()).toBe(1);
    monitor = await startMonitor(dist, config, { dir, port: monitor.port });
    const after = (await getJson<HistoryEntry[]>(`${monitor.url}/api/health/history/good-1`)).body.length;
    expect(after).toBeGreaterThanOrEqual(before);
    expect(await openAlert("service_down", "good-2")()).toMatchObject({ id: openBefore!.id, timestamp: openBefore!.timestamp });
    await waitFor("a check after the restart", async () => ((await getJson<HistoryEntry[]>(`${monitor.url}/api/health/history/good-2`)).body.length > 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, 2500));
    expect(firingGood2()).toBe(1);
    expect((await alerts("?resolved=true")).some((a) => a.target === "failing-1")).toBe(true);
  });

  it("refuses a config file with a clear error and exit code 2", async () => {
    const bad = tempDir("monitor-bad-");
    await expect(startMonitor(dist, { ...config, intervalSeconds: 0 }, { dir: bad })).rejects.toThrow(/monitor exited 2: .*intervalSeconds: Too small/);
    fs.rmSync(bad, { recursive: true, force: true });
  });
});
