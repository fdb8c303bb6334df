import { execFile, spawn, spawnSync } from "child_process";
import * as https from "https";
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
import { parseArgs, useGatewayCredentials } from "../../../components/verify/cli";
import { classify } from "../../../components/verify/errors";
import { ROOT } from "../../harness/stack-files";
import { hasTool, skipOrFail } from "../../harness/tools";

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
function cli(args: string[], env: NodeJS.ProcessEnv = process.env, prefix: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, ...rest] = [...prefix, "npx", "--no", "tsx", "components/verify/cli.ts", ...args];
  return new Promise((resolve) => {
    execFile(cmd!, rest, { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

// The summary table: the part of stdout after the progress lines.
const tableOf = (stdout: string) => stdout.slice(stdout.indexOf("\nservice ") + 1);
const row = (stdout: string, service: string) => tableOf(stdout).split("\n").find((l) => l.startsWith(`${service} `)) ?? "";

describe("npm run verify against real servers on loopback", () => {
  it("tells a working MCP server, a failing health check and a server that does not speak MCP apart, and exits 1", async () => {
    const endpoints = [endpoint("good", good), endpoint("sick", unhealthy), endpoint("webpage", notMcp)];
    const { code, stdout, stderr } = await cli(["--timeout", "2", "--endpoints", JSON.stringify(endpoints)]);
    expect(code, stderr).toBe(1);
    expect(tableOf(stdout).split("\n")[0]).toMatch(/^service\s+health\s+MCP tools\s+latency\s+result$/);
    expect(row(stdout, "good")).toMatch(/^good\s+ok \(HTTP 200\)\s+ok \(2 tools\)\s+\d+ ms\s+ok$/);
    expect(row(stdout, "sick")).toMatch(/^sick\s+FAIL \(HTTP 503\)\s+ok \(2 tools\)\s+\d+ ms\s+FAIL after \d+ attempts?$/);
    expect(row(stdout, "webpage")).toMatch(/^webpage\s+ok \(HTTP 200\)\s+FAIL \(not an MCP server: answered text\/html .+\)\s+\d+ ms\s+FAIL after \d+ attempts?$/);
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
    expect(() => parseArgs([])).toThrow(/exactly one of --stack, --outputs-file, --endpoints or --endpoints-file/);
    expect(() => parseArgs(["--stack", "dev", "--timeout", "soon"])).toThrow(/--timeout must be a positive number of seconds \(got "soon"\)/);
  });

  it("--help prints the usage and exits 0", async () => {
    const { code, stdout } = await cli(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run verify -- --stack <name>/m);
    expect(stdout).toMatch(/--timeout <seconds>/);
    expect((await cli(["-h"])).stdout).toBe(stdout);
  });

  const bad: [string, string[], RegExp][] = [
    ["an option without its value", ["--stack"], /^verify: Option '--stack <value>' argument missing\nrun with --help for usage\n$/],
    ["an unknown option", ["--stak", "dev"], /^verify: Unknown option '--stak'/],
    ["an empty endpoint list", ["--endpoints", "[]"], /^verify: nothing to check: the endpoint list is empty\n$/],
    ["endpoints that are not JSON", ["--endpoints", "gmail"], /^verify: --endpoints is not valid JSON: /],
    ["a missing outputs file", ["--outputs-file", "/nonexistent/outputs.json"],
      /^verify: the outputs file \/nonexistent\/outputs\.json does not exist: write it with `pulumi stack output --json --stack <name> > outputs\.json`\n$/],
    ["a missing endpoints file", ["--endpoints-file", "/nonexistent/endpoints.json"], /^verify: the endpoints file \/nonexistent\/endpoints\.json does not exist: write a JSON list/],
  ];
  it.each(bad)("refuses %s with a clear message, exit code 2", async (_what, args, message) => {
    const { code, stdout, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
  });

  it("refuses malformed, empty and serviceless files, exit code 2", async () => {
    const write = (name: string, text: string) => {
      const f = path.join(tmp, name);
      fs.writeFileSync(f, text);
      return f;
    };
    const cases: [string[], RegExp][] = [
      [["--outputs-file", write("truncated.json", '{"mcpServers": {')], /^verify: the outputs file .*truncated\.json is not valid JSON: /],
      [["--outputs-file", write("empty.json", "")], /^verify: the outputs file .*empty\.json is empty: expected JSON/],
      [["--outputs-file", write("nothing.json", "{}")], /^verify: the stack outputs name no service .*has the stack been deployed\?/],
      [["--endpoints-file", write("eps.json", '{"name": "gmail"}')], /^verify: --endpoints must be a JSON array|eps\.json must be a JSON array/],
      [["--endpoints-file", write("none.json", "[]")], /^verify: nothing to check: the endpoint list is empty/],
      [["--outputs-file", tmp], /^verify: the outputs file .* is a directory, not a file/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await cli(args);
      expect(code, args.join(" ")).toBe(2);
      expect(stderr, args.join(" ")).toMatch(message);
    }
  });

  it("prints a line per check as it completes, while it is still retrying", async () => {
    const endpoints = JSON.stringify([endpoint("sick", unhealthy)]);
    const child = spawn("npx", ["--no", "tsx", "components/verify/cli.ts", "--timeout", "20", "--endpoints", endpoints], { cwd: ROOT });
    try {
      let stdout = "";
      const firstLine = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          stdout += d.toString();
          const line = stdout.split("\n").find((l) => /\bhealth\b/.test(l));
          if (line) resolve(line);
        });
        child.on("exit", () => reject(new Error(`exited before printing a check: ${stdout}`)));
      });
      // The process is still running its 20 s of retries: the line came as the check completed.
      expect(child.exitCode).toBeNull();
      expect(firstLine).toMatch(/^\s+\d+\.\d s {2}sick {2}health {2}FAIL {2}HTTP 503 \(attempt 1; retrying for up to \d+ s\)$/);
    } finally {
      child.kill();
    }
  });

  it("with --stack and no Pulumi CLI, says how to install it, exit code 2", async () => {
    // Only the directories of node and npx: no pulumi, wherever it is installed here. (The end-to-end suite
    // runs --stack against a deployed stack.)
    const path = [...new Set([process.execPath, spawnSync("sh", ["-c", "command -v npx"], { encoding: "utf8" }).stdout.trim()].map((p) => p.slice(0, p.lastIndexOf("/"))))].join(":");
    const { code, stderr } = await cli(["--stack", "dev"], { ...process.env, PATH: path });
    expect(code).toBe(2);
    expect(stderr).toMatch(/the Pulumi CLI is not installed/);
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
      expect(r.health).toMatchObject({ kind: "timeout", detail: "timed out after 200 ms" });
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

describe("each kind of failure gets its own message", () => {
  // A port that was just free: nothing listens there.
  async function closedPort(): Promise<number> {
    const { server, url } = await listen(() => undefined);
    await stop(server);
    return Number(new URL(url).port);
  }
  const fail = async (ep: ServiceEndpoint, attemptTimeoutMs = 300) => verifyService(ep, { deadlineMs: 400, attemptTimeoutMs, retryDelayMs: 100 });

  it("refused: nothing listens on the port", async () => {
    const port = await closedPort();
    const r = await fail({ name: "x", healthUrl: `http://127.0.0.1:${port}/health`, mcpUrl: `http://127.0.0.1:${port}/mcp` });
    expect(r.health).toMatchObject({ kind: "refused", detail: `connection refused by 127.0.0.1:${port} (nothing listens there)` });
    expect(r.mcp).toMatchObject({ kind: "refused" });
  });

  it("timeout: the server accepts and never answers", async () => {
    const { server, url } = await listen(() => undefined);
    try {
      const r = await fail({ name: "x", healthUrl: `${url}/health`, mcpUrl: `${url}/mcp` });
      expect(r.health).toMatchObject({ kind: "timeout", detail: "timed out after 300 ms" });
      expect(r.mcp).toMatchObject({ kind: "timeout" });
    } finally {
      await stop(server);
    }
  });

  it("HTTP status: the health URL answers 503, the MCP URL 404", async () => {
    const { server, url } = await listen((req, res) => res.writeHead(req.url === "/health" ? 503 : 404).end());
    try {
      const r = await fail({ name: "x", healthUrl: `${url}/health`, mcpUrl: `${url}/mcp` });
      expect(r.health).toEqual({ ok: false, kind: "http", detail: "HTTP 503" });
      expect(r.mcp).toMatchObject({ kind: "http", detail: expect.stringMatching(/^HTTP 404 \(wrong path\?/) });
    } finally {
      await stop(server);
    }
  });

  it("not MCP: a web page, and JSON that is not JSON-RPC", async () => {
    const html = await fail({ name: "x", healthUrl: `${notMcp.url}/health`, mcpUrl: `${notMcp.url}/mcp` });
    expect(html.mcp).toMatchObject({ kind: "not-mcp", detail: expect.stringMatching(/^not an MCP server: answered text\/html/) });
    const { server, url } = await listen((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}'));
    try {
      const r = await fail({ name: "x", healthUrl: `${url}/health`, mcpUrl: `${url}/mcp` });
      expect(r.health.ok).toBe(true);
      expect(r.mcp).toMatchObject({ kind: "not-mcp" });
    } finally {
      await stop(server);
    }
  });

  it("TLS: a certificate the client does not trust", async (ctx) => {
    skipOrFail(ctx, hasTool("openssl") ? undefined : "openssl is not installed (it makes the test's self-signed certificate)");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-tls-"));
    const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
      "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")], { encoding: "utf8" });
    expect(made.status, made.stderr).toBe(0);
    const server = https.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")) }, (_req, res) => res.end("ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // One attempt with time to finish its handshake: in CI's parallel run a 300 ms attempt timed out
      // before the certificate was refused (kind "timeout", not "tls").
      const r = await fail({ name: "x", healthUrl: `${url}/health`, mcpUrl: `${url}/mcp` }, 10_000);
      expect(r.health).toMatchObject({ kind: "tls", detail: expect.stringMatching(/^TLS: .*self[- ]signed.* \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/) });
      expect(r.mcp).toMatchObject({ kind: "tls" });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("DNS: a name that does not resolve (in a network namespace of its own, so no query leaves the machine)", async (ctx) => {
    const problem = !hasTool("unshare") ? "unshare is not installed" : process.getuid?.() !== 0 ? "needs root for a network namespace" : undefined;
    skipOrFail(ctx, problem);
    const endpoints = JSON.stringify([{ name: "gmail", healthUrl: "http://gmail.example.internal:8080/health", mcpUrl: "http://gmail.example.internal:8080/mcp" }]);
    const { code, stdout, stderr } = await cli(["--timeout", "1", "--endpoints", endpoints], process.env, ["unshare", "--net"]);
    expect(code, stderr).toBe(1);
    expect(stdout).toMatch(/gmail {2}health {2}FAIL {2}DNS: cannot resolve gmail\.example\.internal \((EAI_AGAIN|ENOTFOUND)\)/);
    expect(stdout).toMatch(/gmail {2}MCP {5}FAIL {2}DNS: cannot resolve gmail\.example\.internal/);
  });

  it("the classifier keeps unknown errors' own words", () => {
    expect(classify(new Error("something odd"))).toEqual({ kind: "other", detail: "something odd" });
  });
});

describe("credentials from the stack's outputs", () => {
  it("calls each route with its first API key and trusts the gateway's certificate, unless the environment says otherwise", () => {
    const outputs = { apiKeys: { gmail: { claude: "key-a", ops: "key-b" }, rag: { claude: "key-c" } }, gatewayCertificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n" };
    const env: NodeJS.ProcessEnv = {};
    useGatewayCredentials(outputs, env);
    expect(JSON.parse(env.MCP_PLATFORM_VERIFY_TOKENS!)).toEqual({ gmail: "key-a", rag: "key-c" });
    expect(env.MCP_PLATFORM_VERIFY_CA).toContain("BEGIN CERTIFICATE");
    const given: NodeJS.ProcessEnv = { MCP_PLATFORM_VERIFY_TOKENS: '{"gmail":"mine"}', MCP_PLATFORM_VERIFY_CA: "mine" };
    useGatewayCredentials(outputs, given);
    expect([given.MCP_PLATFORM_VERIFY_TOKENS, given.MCP_PLATFORM_VERIFY_CA]).toEqual(['{"gmail":"mine"}', "mine"]);
    const none: NodeJS.ProcessEnv = {};
    useGatewayCredentials({ mcpServers: {} }, none);
    expect(none).toEqual({});
  });
});
