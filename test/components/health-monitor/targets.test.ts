import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { parseMonitorConfig, PROBE_PROTOCOL_VERSIONS } from "../../../components/health-monitor/app/src/config";
import { platformSchema, type PlatformConfig } from "../../../components/config/schema";
import { monitorConfig, renderMonitorConfig, type MonitorModel } from "../../../components/health-monitor/targets";

const model = (c: PlatformConfig, extra: Partial<MonitorModel> = {}): MonitorModel => ({
  services: c.services,
  dataServices: c.dataServices,
  neo4j: { host: "neo4j", port: 7687 },
  gateway: { scheme: "http", host: "gateway", healthPath: "/healthz" },
  alerts: c.alerts,
  monitor: c.healthMonitor,
  backup: { statusFile: "/backups/status.json", rpoMinutes: c.backup.rpoMinutes },
  cgroups: true,
  ...extra,
});
const urls = (file: ReturnType<typeof monitorConfig>, name: string) =>
  file.targets.find((t) => t.name === name)!.checks.map((c) => ("url" in c ? c.url : `${c.type}://${c.host}:${c.port}`));

describe("the monitor's targets, from the stack", () => {
  it("watches each replica by its alias, each server through the gateway, Neo4j, the gateway and the backups", () => {
    const c = platformSchema.parse({ services: { gmail: { replicas: 2 } } });
    const file = monitorConfig(model(c));
    expect(file.targets.map((t) => [t.name, t.service, t.kind, t.role])).toEqual([
      ["gmail-1", "gmail", "mcp-replica", "service"],
      ["gmail-2", "gmail", "mcp-replica", "service"],
      ["gmail@gateway", "gmail", "gateway-route", "service"],
      ["graphiti-1", "graphiti", "mcp-replica", "service"],
      ["graphiti@gateway", "graphiti", "gateway-route", "service"],
      ["rag-1", "rag", "mcp-replica", "service"],
      ["rag@gateway", "rag", "gateway-route", "service"],
      ["neo4j", "neo4j", "neo4j", "dependency"],
      ["gateway", "gateway", "gateway", "service"],
    ]);
    expect(urls(file, "gmail-2")).toEqual(["http://gmail-2:8080/health", "http://gmail-2:8080/mcp"]);
    // graphiti listens on 8000 inside; the gateway publishes it on 8082.
    expect(urls(file, "graphiti-1")).toEqual(["http://graphiti-1:8000/health", "http://graphiti-1:8000/mcp"]);
    expect(urls(file, "graphiti@gateway")).toEqual(["http://gateway:8082/health", "http://gateway:8082/mcp"]);
    expect(urls(file, "rag@gateway")).toEqual(["http://gateway:8084/health", "http://gateway:8084/mcp"]);
    expect(urls(file, "neo4j")).toEqual(["bolt://neo4j:7687"]);
    expect(urls(file, "gateway")).toEqual(["http://gateway:8080/healthz"]);
    expect(file.backup).toEqual({ statusFile: "/backups/status.json", rpoMinutes: 60 });
  });

  it("follows the stack: an added server is watched with no other change, a disabled one is not", () => {
    const c = platformSchema.parse({
      services: {
        rag: { enabled: false },
        notes: { image: "example/notes:1", port: 9000, path: "/rpc", healthPath: "/healthz", publishedPort: 9100, replicas: 3, memoryMb: 128, cpus: 0.25 },
      },
    });
    const names = monitorConfig(model(c)).targets.map((t) => t.name);
    expect(names.filter((n) => n.startsWith("notes"))).toEqual(["notes-1", "notes-2", "notes-3", "notes@gateway"]);
    expect(names.some((n) => n.startsWith("rag"))).toBe(false);
    expect(urls(monitorConfig(model(c)), "notes-3")).toEqual(["http://notes-3:9000/healthz", "http://notes-3:9000/rpc"]);
  });

  it("checks data services by HTTP when they speak it, by TCP otherwise", () => {
    const ds = (port: number, scheme: string) => ({ image: "x/y:1", port, scheme, healthcheck: ["CMD", "true"], memoryMb: 64, cpus: 0.1, dataVolume: { path: "/data" } });
    const c = platformSchema.parse({ dataServices: { "vector-db": ds(6333, "http"), cache: ds(6379, "redis") } });
    const file = monitorConfig(model(c));
    expect(file.targets.find((t) => t.name === "vector-db")).toMatchObject({ kind: "data-service", role: "dependency", checks: [{ type: "http", url: "http://vector-db:6333/", expect: "below-500" }] });
    expect(file.targets.find((t) => t.name === "cache")!.checks).toEqual([{ type: "tcp", host: "cache", port: 6379 }]);
  });

  it("carries the runbook's thresholds under its names, with the stack's intervals and revisions", () => {
    const c = platformSchema.parse({ alerts: { responseTimeMs: 2500 }, healthMonitor: { intervalSeconds: 120, errorRateWindow: 12, mcpProtocolVersions: ["2025-06-18"] } });
    const file = monitorConfig(model(c));
    expect(file.alertThresholds).toEqual({ response_time: 2500, error_rate: 0.1, consecutive_failures: 3, memory_usage: 0.9, cpu_usage: 0.8, error_rate_window: 12 });
    expect(file.intervalSeconds).toBe(120);
    expect(file.targets[0]!.checks[1]).toMatchObject({ type: "mcp", protocolVersions: ["2025-06-18"] });
  });

  it("passes credentials only as file paths, and only when their secret keys are set", () => {
    const plain = monitorConfig(model(platformSchema.parse({})));
    expect(JSON.stringify(plain)).not.toContain("/app/secrets");
    expect(plain.alerts).toEqual({ resendIntervalMinutes: 60 });
    const c = platformSchema.parse({ healthMonitor: { gatewayTokenKey: "monitorGatewayToken", alertWebhookKey: "alertWebhookUrl", alertResendMinutes: 30 } });
    const file = monitorConfig(model(c));
    expect(file.targets.find((t) => t.name === "gmail@gateway")!.checks.every((x) => "bearerTokenFile" in x && x.bearerTokenFile === "/app/secrets/gateway-token")).toBe(true);
    // The gateway answers its health path before any authentication: no token there.
    expect(file.targets.find((t) => t.name === "gateway")!.checks[0]).toEqual({ type: "http", url: "http://gateway:8080/healthz" });
    // Replicas are reached directly on the frontend network, not through the gateway's auth.
    expect(JSON.stringify(file.targets.find((t) => t.name === "gmail-1"))).not.toContain("bearerTokenFile");
    expect(file.alerts).toEqual({ webhookUrlFile: "/app/secrets/alert-webhook-url", resendIntervalMinutes: 30 });
  });

  it("uses the gateway's generated key per route, its certificate and its public name over https", () => {
    const c = platformSchema.parse({ healthMonitor: { gatewayTokenKey: "t" } });
    const file = monitorConfig(
      model(c, { gateway: { scheme: "https", host: "gateway", healthPath: "/healthz", serverName: "mcp.example.com", pinnedCertificate: true, keyedRoutes: ["gmail"] } }),
    );
    const tls = { caFile: "/app/secrets/gateway-ca.pem", serverName: "mcp.example.com" };
    expect(file.targets.find((t) => t.name === "gmail@gateway")!.checks).toEqual([
      { type: "http", url: "https://gateway:8080/health", bearerTokenFile: "/app/secrets/gateway-key-gmail", tls },
      { type: "mcp", url: "https://gateway:8080/mcp", protocolVersions: ["2025-11-25", "2025-03-26"], bearerTokenFile: "/app/secrets/gateway-key-gmail", tls },
    ]);
    // A route without a generated key (an oauth route) gets the configured token.
    expect(file.targets.find((t) => t.name === "rag@gateway")!.checks[0]).toMatchObject({ bearerTokenFile: "/app/secrets/gateway-token", tls });
    expect(file.targets.find((t) => t.name === "gateway")!.checks).toEqual([{ type: "http", url: "https://gateway:8080/healthz", tls }]);
  });

  it("gives container ids and the cgroup mount only where memory and CPU are read", () => {
    const c = platformSchema.parse({});
    const id = "a".repeat(64);
    const file = monitorConfig(model(c, { containerIds: { "gmail-1": id, neo4j: id } }));
    expect(file.targets.filter((t) => t.containerId).map((t) => t.name)).toEqual(["gmail-1", "neo4j"]);
    expect(file.resources).toEqual({ cgroupRoot: "/host/cgroup" });
    expect(monitorConfig(model(c, { cgroups: false })).resources).toBeUndefined();
  });

  it("renders a file the monitor itself accepts", () => {
    const c = platformSchema.parse({ services: { gmail: { replicas: 2 } }, healthMonitor: { gatewayTokenKey: "t", alertWebhookKey: "w" } });
    const rendered = renderMonitorConfig(monitorConfig(model(c, { containerIds: { "gmail-1": "b".repeat(64) } })));
    const parsed = parseMonitorConfig(JSON.parse(rendered));
    expect(parsed.targets).toHaveLength(9);
    expect(parsed.history).toEqual({ file: "/app/data/state.json", perTarget: 500, resolvedAlerts: 200 });
  });

  it("probes only revisions the MCP SDK speaks over Streamable HTTP", () => {
    for (const v of PROBE_PROTOCOL_VERSIONS) expect(SUPPORTED_PROTOCOL_VERSIONS).toContain(v);
    expect(() => platformSchema.parse({ healthMonitor: { mcpProtocolVersions: ["2026-07-28"] } })).toThrow(/must be one of 2025-11-25, 2025-06-18, 2025-03-26/);
  });
});
