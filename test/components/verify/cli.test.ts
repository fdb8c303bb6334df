import { execFile, spawnSync } from "child_process";
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { endpointsFromOutputs, formatTable, verifyService, type ServiceEndpoint } from "../../../components/verify/checks";
import { parseArgs } from "../../../components/verify/cli";
import { ROOT } from "../../harness/stack-files";

// Real servers on loopback: an MCP server built with the SDK the checks use (stateful sessions, as the
// PA servers keep them), the same server with a failing /health, and a web server that is not MCP.
interface Running {
  url: string;
  sessionsEnded: () => number;
  requests: () => number;
  close: () => Promise<void>;
}

function stop(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
  );
}

async function mcpServer(opts: { healthStatus: () => number }): Promise<Running> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  let ended = 0;
  let requests = 0;
  const { server, url } = await listen(async (req, res) => {
    requests++;
    if (req.url === "/health") {
      const status = opts.healthStatus();
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ status: status === 200 ? "healthy" : "unhealthy" }));
      return;
    }
    if (req.url !== "/mcp") return void res.writeHead(404).end();
    const sessionId = req.headers["mcp-session-id"];
    let transport = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
    if (!transport) {
      const t = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void transports.set(id, t) });
      t.onclose = () => {
        if (t.sessionId && transports.delete(t.sessionId)) ended++;
      };
      const mcp = new McpServer({ name: "test-tools", version: "1.0.0" });
      mcp.registerTool("search_email", { description: "search", inputSchema: { query: z.string() } }, async ({ query }) => ({
        content: [{ type: "text", text: query }],
      }));
      mcp.registerTool("send_email", { description: "send" }, async () => ({ content: [{ type: "text", text: "sent" }] }));
      await mcp.connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res);
  });
  return {
    url,
    sessionsEnded: () => ended,
    requests: () => requests,
    close: () => stop(server),
  };
}

async function plainWebServer(): Promise<Running> {
  const { server, url } = await listen((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>it works</html>"));
  return { url, sessionsEnded: () => 0, requests: () => 0, close: () => stop(server) };
}

let good: Running;
let unhealthy: Running;
let notMcp: Running;
let flaky: Running;
let flakyHealthCalls = 0;
let tmp: string;

beforeAll(async () => {
  good = await mcpServer({ healthStatus: () => 200 });
  unhealthy = await mcpServer({ healthStatus: () => 503 });
  notMcp = await plainWebServer();
  // Healthy from its third health request on: a server still starting when the checks begin.
  flaky = await mcpServer({ healthStatus: () => (++flakyHealthCalls >= 3 ? 200 : 503) });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "verify-"));
});

afterAll(async () => {
  await Promise.all([good, unhealthy, notMcp, flaky].map((s) => s?.close()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

const endpoint = (name: string, s: Running): ServiceEndpoint => ({ name, healthUrl: `${s.url}/health`, mcpUrl: `${s.url}/mcp` });

// The CLI as a user runs it (npx tsx, from the project directory), asynchronously: the servers it checks
// live in this process.
function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("npx", ["--no", "tsx", "components/verify/cli.ts", ...args], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const row = (table: string, service: string) => table.split("\n").find((l) => l.startsWith(`${service} `)) ?? "";

describe("npm run verify against real servers on loopback", () => {
  it("tells a working MCP server, a failing health check and a server that does not speak MCP apart, and exits 1", async () => {
    const endpoints = [endpoint("good", good), endpoint("sick", unhealthy), endpoint("webpage", notMcp)];
    const { code, stdout, stderr } = await cli(["--timeout", "2", "--endpoints", JSON.stringify(endpoints)]);
    expect(code, stderr).toBe(1);
    expect(stdout.split("\n")[0]).toMatch(/^service\s+health\s+MCP tools\s+latency\s+result$/);
    expect(row(stdout, "good")).toMatch(/^good\s+ok \(HTTP 200\)\s+ok \(2 tools\)\s+\d+ ms\s+ok$/);
    expect(row(stdout, "sick")).toMatch(/^sick\s+FAIL \(HTTP 503\)\s+ok \(2 tools\)\s+\d+ ms\s+FAIL after \d+ attempts?$/);
    expect(row(stdout, "webpage")).toMatch(/^webpage\s+ok \(HTTP 200\)\s+FAIL \(.+\)\s+\d+ ms\s+FAIL after \d+ attempts?$/);
    expect(stderr).toMatch(/2 of 3 services failed within 2 s/);
    expect(stderr).toMatch(/^sick: health HTTP 503$/m);
    expect(stderr).toMatch(/^webpage: MCP handshake /m);
  });

  it("exits 0 when every service passes, and ends the MCP sessions it opened", async () => {
    const before = good.sessionsEnded();
    const { code, stdout, stderr } = await cli(["--endpoints", JSON.stringify([endpoint("gmail", good)])]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/all 1 services passed/);
    expect(good.sessionsEnded()).toBe(before + 1);
  });

  it("reads a stack's outputs from a file: every MCP server, and the health monitor next to its dashboard", async () => {
    const outputs = {
      dashboardUrl: `${good.url}/dashboard`,
      healthApiUrl: `${good.url}/api/health/overall`,
      mcpServers: { gmail: { url: `${good.url}/mcp`, healthUrl: `${good.url}/health`, internalUrl: "http://gmail:8080/mcp", replicas: 1 } },
    };
    const file = path.join(tmp, "outputs.json");
    fs.writeFileSync(file, JSON.stringify(outputs));
    const { code, stdout, stderr } = await cli(["--outputs-file", file]);
    expect(code, stderr).toBe(0);
    expect(row(stdout, "gmail")).toMatch(/ok \(2 tools\)/);
    expect(row(stdout, "health-monitor")).toMatch(/^health-monitor\s+ok \(HTTP 200\)\s+-\s+\d+ ms\s+ok$/);
  });

  it("says what is wrong with its arguments, exit code 2", async () => {
    const { code, stderr } = await cli(["--endpoints", "[{}]"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--endpoints\[0\] must be \{name, healthUrl, mcpUrl\?\}/);
    expect(() => parseArgs([])).toThrow(/exactly one of --stack, --outputs-file or --endpoints/);
    expect(() => parseArgs(["--stack", "dev", "--timeout", "soon"])).toThrow(/--timeout must be a positive number/);
  });

  const pulumiMissing = spawnSync("sh", ["-c", "command -v pulumi"]).status !== 0;
  it("with --stack and no Pulumi CLI, says how to install it, exit code 2", async (ctx) => {
    if (!pulumiMissing) ctx.skip("the Pulumi CLI is installed here; the next test covers --stack");
    const { code, stderr } = await cli(["--stack", "dev"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/the Pulumi CLI is not installed/);
  });

  it("with --stack, reads the outputs through pulumi stack output", async (ctx) => {
    if (pulumiMissing) ctx.skip("the Pulumi CLI is not installed: --stack shells out to `pulumi stack output --json`");
    if (!process.env.MCP_VERIFY_STACK) ctx.skip("set MCP_VERIFY_STACK to a deployed stack to check it");
    const { code, stdout } = await cli(["--stack", process.env.MCP_VERIFY_STACK!]);
    expect(stdout.split("\n")[0]).toMatch(/^service\s+health/);
    expect([0, 1]).toContain(code);
  });
});

describe("the checks", () => {
  it("retry a service that is still starting, within the time bound", async () => {
    const r = await verifyService(endpoint("flaky", flaky), { deadlineMs: 10_000, attemptTimeoutMs: 2_000, retryDelayMs: 50 });
    expect(r.ok).toBe(true);
    expect(r.attempts).toBe(3);
  });

  it("give up on a server that never answers when the request bound passes", async () => {
    const { server, url } = await listen(() => undefined);
    try {
      const r = await verifyService({ name: "silent", healthUrl: `${url}/health`, mcpUrl: `${url}/mcp` }, { deadlineMs: 300, attemptTimeoutMs: 200, retryDelayMs: 50 });
      expect(r.ok).toBe(false);
      expect(r.health.detail).toMatch(/timeout|aborted/i);
      expect(r.mcp?.detail).toMatch(/timed out|timeout|aborted/i);
    } finally {
      await stop(server);
    }
  });

  it("list every MCP server of the stack outputs and the monitor, and refuse outputs that are not a deployed stack", () => {
    const eps = endpointsFromOutputs({
      dashboardUrl: "http://10.0.0.5:8083/dashboard",
      mcpServers: { rag: { url: "http://10.0.0.5:8084/mcp", healthUrl: "http://10.0.0.5:8084/health" } },
    });
    expect(eps).toEqual([
      { name: "rag", healthUrl: "http://10.0.0.5:8084/health", mcpUrl: "http://10.0.0.5:8084/mcp" },
      { name: "health-monitor", healthUrl: "http://10.0.0.5:8083/health" },
    ]);
    expect(() => endpointsFromOutputs({})).toThrow(/has the stack been deployed/);
  });

  it("print a table with aligned columns", () => {
    const table = formatTable([
      { name: "gmail", health: { ok: true, detail: "HTTP 200" }, mcp: { ok: true, detail: "12 tools", tools: [] }, latencyMs: 40, attempts: 1, ok: true },
      { name: "health-monitor", health: { ok: false, detail: "HTTP 502" }, latencyMs: 3, attempts: 4, ok: false },
    ]);
    const lines = table.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]!.indexOf("ok (HTTP 200)")).toBe(lines[0]!.indexOf("health"));
    expect(lines[2]).toMatch(/FAIL after 4 attempts$/);
  });
});
