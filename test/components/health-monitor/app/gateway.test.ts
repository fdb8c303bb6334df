// The monitor's probes through the real gateway: HAProxy 3.2 with the program's rendered config, TLS with
// the self-signed certificate the program makes for the gateway's public host, and apiKey auth with a
// generated key, in front of real SDK MCP servers. The targets are the program's own (targets.ts), with
// the in-container paths of the key and certificate files moved to a temporary directory.
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { platformSchema } from "../../../../components/config/schema";
import { gatewayModel } from "../../../../components/gateway/model";
import type { MonitorConfigInput } from "../../../../components/health-monitor/app/src/config";
import type { ServiceHealth } from "../../../../components/health-monitor/app/src/monitor";
import { GATEWAY_CA_FILE, gatewayKeyFile, monitorConfig } from "../../../../components/health-monitor/targets";
import { skipOrFail } from "../../../harness/tools";
import { selfSigned, startGateway, type RunningGateway } from "../../gateway/harness";
import { findHaproxy, freePorts } from "../../gateway/stubs";
import { compileApp, getJson, mcpServer, startMonitor, tempDir, waitFor, type RunningMonitor } from "./fleet";

const HAPROXY = findHaproxy();
const KEY = "notes-monitor-key-0123456789abcdefghijklmnopq";
let dist: string;
let dir: string;
let gateway: RunningGateway | undefined;
let monitor: RunningMonitor | undefined;
const replicas: Awaited<ReturnType<typeof mcpServer>>[] = [];
let startError: unknown;

beforeAll(async () => {
  if (!HAPROXY.bin) return;
  try {
    dist = compileApp();
    dir = tempDir("monitor-gateway-");
    const [notesPort, metricsPort] = (await freePorts(2)) as [number, number];
    const c = platformSchema.parse({
      gateway: { tls: { selfSigned: true }, publicHost: "127.0.0.1", metricsPort },
      services: {
        gmail: { enabled: false },
        graphiti: { enabled: false },
        rag: { enabled: false },
        notes: { image: "example/notes:1", port: 9000, publishedPort: notesPort, replicas: 2, memoryMb: 128, cpus: 0.25, auth: { mode: "apiKey", clients: ["monitor"] } },
      },
      healthMonitor: { enabled: false },
    });
    const model = gatewayModel(c);
    for (let i = 0; i < 2; i++) replicas.push(await mcpServer({ tools: 4 }));
    model.routes[0]!.peers = replicas.map((r) => `127.0.0.1:${r.port}`);
    const cert = selfSigned();
    gateway = await startGateway(HAPROXY.bin, model, { tlsPem: cert.pem, apiKeys: { notes: { monitor: KEY } } });
    // What the program hands the monitor: the key file and the gateway's certificate.
    fs.writeFileSync(path.join(dir, "key"), KEY);
    fs.writeFileSync(path.join(dir, "ca.pem"), cert.cert);
    // The targets the program writes, for a gateway dialled as `localhost` whose certificate names
    // 127.0.0.1 (in the stack: dialled as `gateway`, certificate for the public host).
    const file = monitorConfig({
      services: c.services,
      dataServices: {},
      gateway: { scheme: "https", host: "localhost", healthPath: "/healthz", serverName: "127.0.0.1", pinnedCertificate: true, keyedRoutes: ["notes"] },
      alerts: c.alerts,
      monitor: { ...c.healthMonitor, intervalSeconds: 1 },
      cgroups: false,
    });
    const paths = JSON.stringify(file).replaceAll(gatewayKeyFile("notes"), path.join(dir, "key")).replaceAll(GATEWAY_CA_FILE, path.join(dir, "ca.pem"));
    const config = JSON.parse(paths) as MonitorConfigInput;
    config.targets = config.targets.filter((t) => t.kind === "gateway-route" || t.kind === "gateway");
    config.history = { perTarget: 50 };
    monitor = await startMonitor(dist, config, { dir });
  } catch (e) {
    startError = e;
  }
}, 120_000);

afterAll(async () => {
  await monitor?.stop();
  await gateway?.stop();
  for (const r of replicas) await r.close();
  if (dist) fs.rmSync(dist, { recursive: true, force: true });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach((ctx) => {
  skipOrFail(ctx, HAPROXY.problem);
  if (startError) throw startError;
});

describe("probing through the real gateway (HAProxy, TLS, apiKey)", () => {
  it("passes the route's health and MCP handshakes with the generated key and the gateway's certificate", async () => {
    const s = await waitFor("the route checked", async () => {
      const { body } = await getJson<ServiceHealth>(`${monitor!.url}/api/health/service/notes`);
      return body.targets[0]?.status !== "unknown" ? body : undefined;
    });
    const route = s.targets.find((t) => t.name === "notes@gateway")!;
    expect(route.checks.map((c) => [c.check, c.ok, c.detail])).toEqual([
      ["http /health", true, "HTTP 200"],
      ["mcp 2025-11-25", true, "4 tools"],
      ["mcp 2025-03-26", true, "4 tools"],
    ]);
    expect(replicas.flatMap((r) => r.initializeVersions)).toEqual(expect.arrayContaining(["2025-11-25", "2025-03-26"]));
  });

  it("checks the gateway's own health over TLS", async () => {
    const body = await waitFor("the gateway checked", async () => {
      const { body: b } = await getJson<ServiceHealth>(`${monitor!.url}/api/health/service/gateway`);
      return b.targets[0]?.checks.length ? b : undefined;
    });
    expect(body.targets[0]!.checks[0]).toMatchObject({ check: "http /healthz", ok: true, detail: "HTTP 200" });
  });

  it("is refused by the gateway without the key, so the key is what lets it in", async () => {
    const wrong = path.join(dir, "wrong-key");
    fs.writeFileSync(wrong, "not-the-key");
    const { probeMcpRevision } = await import("../../../../components/health-monitor/app/src/probes/mcp");
    const target = JSON.parse(fs.readFileSync(path.join(dir, "monitor.json"), "utf8")) as MonitorConfigInput;
    const mcp = target.targets.find((t) => t.name === "notes@gateway")!.checks.find((c) => c.type === "mcp")! as { url: string; tls?: object };
    const r = await probeMcpRevision({ type: "mcp", url: mcp.url, protocolVersions: ["2025-11-25"], bearerTokenFile: wrong, tls: mcp.tls }, "2025-11-25", 5000);
    expect(r).toMatchObject({ ok: false });
    expect(r.detail).toMatch(/^initialize: HTTP 401/);
  });
});
