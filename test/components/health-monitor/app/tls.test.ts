// Probing through a gateway that speaks TLS with a certificate from a private CA and requires a bearer
// token: the monitor trusts the CA the check names (tls.caFile: the gateway's certificate, in the stack)
// and sends the token from its secret file. Without the CA, the route is reported down for the right reason.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import type { MonitorConfigInput } from "../../../../components/health-monitor/app/src/config";
import type { ServiceHealth } from "../../../../components/health-monitor/app/src/monitor";
import { hasTool, skipOrFail } from "../../../harness/tools";
import { compileApp, getJson, mcpServer, startMonitor, tempDir, waitFor, type RunningMonitor } from "./fleet";

const TOKEN = "tls-gateway-token-0123456789";
const problem = hasTool("openssl") ? undefined : "openssl is not installed (it makes the test CA)";
let dist: string;
let dir: string;
let server: Awaited<ReturnType<typeof mcpServer>> | undefined;
const monitors: RunningMonitor[] = [];

function openssl(...args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}

beforeAll(async () => {
  if (problem) return;
  dist = compileApp();
  dir = tempDir("monitor-tls-");
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=mcp-platform test CA");
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "gw.key", "-out", "gw.csr", "-subj", "/CN=gateway");
  fs.writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl("x509", "-req", "-in", "gw.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "gw.pem", "-days", "1", "-extfile", "san.ext");
  server = await mcpServer({ token: TOKEN, tls: { key: fs.readFileSync(path.join(dir, "gw.key"), "utf8"), cert: fs.readFileSync(path.join(dir, "gw.pem"), "utf8") } });
  fs.writeFileSync(path.join(dir, "token"), TOKEN);
}, 60_000);

afterAll(async () => {
  for (const m of monitors) await m.stop();
  await server?.close();
  if (dist) fs.rmSync(dist, { recursive: true, force: true });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const config = (caFile?: string): MonitorConfigInput => ({
  intervalSeconds: 1,
  alertThresholds: { response_time: 2000, error_rate: 0.5, consecutive_failures: 2, memory_usage: 0.9, cpu_usage: 0.8 },
  targets: [
    {
      name: "notes@gateway",
      service: "notes",
      kind: "gateway-route",
      role: "service",
      checks: [
        { type: "http", url: `${server!.url}/health`, bearerTokenFile: path.join(dir, "token"), ...(caFile ? { tls: { caFile } } : {}) },
        { type: "mcp", url: `${server!.url}/mcp`, bearerTokenFile: path.join(dir, "token"), ...(caFile ? { tls: { caFile } } : {}) },
      ],
    },
  ],
});

async function routeAfterChecks(caFile?: string): Promise<ServiceHealth> {
  const sub = fs.mkdtempSync(path.join(dir, "m-"));
  const m = await startMonitor(dist, config(caFile), { dir: sub });
  monitors.push(m);
  return waitFor("the route checked", async () => {
    const { body } = await getJson<ServiceHealth>(`${m.url}/api/health/service/notes`);
    return body.targets[0]!.status !== "unknown" ? body : undefined;
  });
}

describe("probing a TLS gateway that requires a token", () => {
  it("passes when the monitor trusts the gateway's CA", async (ctx: TestContext) => {
    skipOrFail(ctx, problem);
    const s = await routeAfterChecks(path.join(dir, "ca.pem"));
    expect(s.targets[0]!.checks.map((c) => [c.check, c.ok, c.detail])).toEqual([
      ["http /health", true, "HTTP 200"],
      ["mcp 2025-11-25", true, "2 tools"],
      ["mcp 2025-03-26", true, "2 tools"],
    ]);
  });

  it("reports the route down, saying why, when it does not", async (ctx: TestContext) => {
    skipOrFail(ctx, problem);
    const s = await routeAfterChecks();
    expect(s.status).toBe("unhealthy");
    expect(s.targets[0]!.checks[0]!.detail).toMatch(/^fetch failed: .*(certificate|self-signed|issuer)/i);
  });
});
