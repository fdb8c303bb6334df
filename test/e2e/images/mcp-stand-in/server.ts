// Stand-in for the PA ecosystem's Node MCP servers (its Gmail fork and the RAG server), built into the
// end-to-end tests' ai-PA build contexts as dist/server-http.js on node:20-slim. What the platform depends
// on is theirs: Streamable HTTP with sessions held in this process's memory at MCP_PATH (default /mcp) on
// PORT, a health route at MCP_HEALTH_CHECK_PATH, and the files and volumes each one needs at start:
// - gmail exits at start without a readable OAuth keys file at GMAIL_OAUTH_PATH (as the real server does)
//   and needs its credentials directory (/app/data) writable;
// - rag needs its data directory writable;
// - monitor (the ai-PA health monitor's place until the platform's own is built) serves /health,
//   /api/health/overall and /dashboard, and reads its config file at HEALTH_MONITOR_CONFIG.
// A tool answers with the replica's host name, so a test can tell which replica served a session. On
// SIGTERM it drains, as a server behind a load balancer should: its health route answers 503 at once (the
// gateway's active check takes it out of rotation), every response closes its connection, and only after
// STAND_IN_DRAIN_MS (default 4000) does it stop listening and close its idle connections; 2 s later, the
// requests in flight done, it ends the sessions' SSE streams and exits.
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

const role = process.env.STAND_IN_ROLE ?? "rag";
const port = Number(process.env.PORT ?? process.env.MCP_SERVER_PORT ?? 8080);
const mcpPath = process.env.MCP_PATH ?? "/mcp";
const healthPath = process.env.MCP_HEALTH_CHECK_PATH ?? "/health";
const name = process.env.MCP_SERVER_NAME ?? `${role}-tools`;
const drainMs = Number(process.env.STAND_IN_DRAIN_MS ?? 4000);
let draining = false;

function fail(message: string): never {
  process.stderr.write(`${name}: ${message}\n`);
  process.exit(1);
}

function mustWrite(dir: string): void {
  const probe = path.join(dir, `.write-test-${process.pid}`);
  try {
    fs.writeFileSync(probe, "ok");
    fs.rmSync(probe);
  } catch (e) {
    fail(`${dir} is not writable by uid ${process.getuid?.()}: ${(e as Error).message}`);
  }
}

if (role === "gmail") {
  const keys = process.env.GMAIL_OAUTH_PATH ?? "/app/config/gcp-oauth.keys.json";
  let parsed: { installed?: { client_id?: string }; web?: { client_id?: string } };
  try {
    parsed = JSON.parse(fs.readFileSync(keys, "utf8")) as typeof parsed;
  } catch (e) {
    fail(`OAuth keys file not found or unreadable at ${keys}: ${(e as Error).message}`);
  }
  if (!parsed.installed?.client_id && !parsed.web?.client_id) fail(`${keys} holds no installed or web client_id`);
  mustWrite(path.dirname(process.env.GMAIL_CREDENTIALS_PATH ?? "/app/data/credentials.json"));
}
if (role === "rag") mustWrite("/app/data");
const monitorConfig = role === "monitor" ? fs.readFileSync(process.env.HEALTH_MONITOR_CONFIG ?? "/app/config/monitor.json", "utf8") : undefined;

function newServer(): McpServer {
  const server = new McpServer({ name, version: "0.0.0-stand-in" });
  server.registerTool("whoami", { description: "The replica that answers", inputSchema: {} }, async () => ({
    content: [{ type: "text", text: os.hostname() }],
  }));
  server.registerTool("echo", { description: "Echo a message", inputSchema: { message: z.string() } }, async ({ message }) => ({
    content: [{ type: "text", text: message }],
  }));
  return server;
}

const sessions = new Map<string, StreamableHTTPServerTransport>();

async function body(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as unknown) : undefined;
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

const httpServer = http.createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? "/", "http://localhost");
    // No keep-alive once draining: the gateway opens no new connection to a replica it took out.
    if (draining) res.setHeader("connection", "close");
    if (url.pathname === healthPath) return json(res, draining ? 503 : 200, { status: draining ? "draining" : "healthy", service: name, sessions: sessions.size });
    if (monitorConfig !== undefined) {
      if (url.pathname === "/api/health/overall") return json(res, 200, { status: "unknown", targets: (JSON.parse(monitorConfig) as { targets: unknown[] }).targets.length });
      if (url.pathname === "/dashboard") return void res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>monitor</title>");
      return json(res, 404, { error: "not found" });
    }
    if (url.pathname !== mcpPath) return json(res, 404, { error: "not found" });
    const sessionId = req.headers["mcp-session-id"];
    const parsed = req.method === "POST" ? await body(req) : undefined;
    let transport = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
    if (!transport) {
      if (sessionId !== undefined || req.method !== "POST" || !isInitializeRequest(parsed))
        return json(res, sessionId !== undefined ? 404 : 400, { jsonrpc: "2.0", error: { code: -32000, message: "unknown or missing session" }, id: null });
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, created),
      });
      created.onclose = () => {
        if (created.sessionId) sessions.delete(created.sessionId);
      };
      await newServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, parsed);
  })().catch((e: unknown) => {
    if (!res.headersSent) json(res, 500, { error: (e as Error).message });
  });
});

httpServer.listen(port, "0.0.0.0", () => process.stderr.write(`${name}: listening on :${port}${mcpPath}\n`));

process.on("SIGTERM", () => {
  if (draining) return;
  draining = true;
  process.stderr.write(`${name}: SIGTERM, draining for ${drainMs} ms\n`);
  setTimeout(() => {
    httpServer.close(() => process.exit(0));
    // Idle keep-alive connections would hold close() open; busy ones finish their request first.
    httpServer.closeIdleConnections();
    // Then the sessions' standalone SSE streams, which never finish on their own.
    setTimeout(() => {
      for (const t of sessions.values()) void t.close();
      httpServer.closeAllConnections();
    }, 2000);
  }, drainMs);
  setTimeout(() => process.exit(0), drainMs + 20_000).unref();
});
