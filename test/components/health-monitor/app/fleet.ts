// A fleet on loopback for the monitor's end-to-end tests: real MCP servers built with the SDK (healthy,
// failing, slow, one that is not MCP at all), a webhook receiver, and the monitor itself run as the
// image runs it: compiled with the app's own tsconfig, `node dist/main.js`, its config in a file.
import { spawn, spawnSync, type ChildProcess } from "child_process";
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import type { MonitorConfigInput } from "../../../../components/health-monitor/app/src/config";
import type { WebhookPayload } from "../../../../components/health-monitor/app/src/notifier";
import { ROOT } from "../../../harness/stack-files";

export const APP = path.join(ROOT, "components/health-monitor/app");

export interface Server {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function listen(handler: http.RequestListener, port = 0, tls?: { key: string; cert: string }): Promise<{ server: http.Server; url: string; port: number }> {
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const p = (server.address() as AddressInfo).port;
      resolve({ server, url: `${tls ? "https" : "http"}://127.0.0.1:${p}`, port: p });
    });
  });
}

export function stop(server: http.Server | net.Server): Promise<void> {
  if (server instanceof http.Server) server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

export interface McpOptions {
  // Delay before tools/list answers (a slow server).
  toolsDelayMs?: () => number;
  // 500 on every MCP request, as the PA rag stub does on its first POST.
  failMcp?: () => boolean;
  healthStatus?: () => number;
  // Required bearer token (the gateway's auth, once it has it).
  token?: string;
  tools?: number;
  // Serve https with this key and certificate (a gateway with TLS).
  tls?: { key: string; cert: string };
}

// An MCP server with the SDK's Streamable HTTP transport and sessions in memory (as the PA servers).
export async function mcpServer(o: McpOptions = {}): Promise<Server & { initializeVersions: string[] }> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const initializeVersions: string[] = [];
  const { server, url, port } = await listen(async (req, res) => {
    if (o.token && req.headers.authorization !== `Bearer ${o.token}`)
      return void res.writeHead(401, { "www-authenticate": 'Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource"' }).end();
    if (req.url === "/health") {
      const status = o.healthStatus?.() ?? 200;
      return void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ status: status === 200 ? "healthy" : "unhealthy" }));
    }
    if (req.url !== "/mcp") return void res.writeHead(404).end();
    if (o.failMcp?.()) return void res.writeHead(500, { "content-type": "application/json" }).end('{"error":"Server does not support tools"}');
    const sessionId = req.headers["mcp-session-id"];
    let transport = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
    if (!transport) {
      const t = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void transports.set(id, t) });
      t.onclose = () => void (t.sessionId && transports.delete(t.sessionId));
      const mcp = new McpServer({ name: "fleet-tools", version: "1.0.0" });
      for (let i = 0; i < (o.tools ?? 2); i++)
        mcp.registerTool(`tool_${i}`, { description: `tool ${i}`, inputSchema: { q: z.string() } }, async ({ q }) => ({ content: [{ type: "text", text: q }] }));
      await mcp.connect(t);
      transport = t;
    }
    // Record the revision each initialize asks for.
    if (req.method === "POST") {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString() || "null") as { method?: string; params?: { protocolVersion?: string } } | null;
      if (body?.method === "initialize" && body.params?.protocolVersion) initializeVersions.push(body.params.protocolVersion);
      if (body?.method === "tools/list" && o.toolsDelayMs) await new Promise((r) => setTimeout(r, o.toolsDelayMs!()));
      return void (await transport.handleRequest(req, res, body));
    }
    await transport.handleRequest(req, res);
  }, 0, o.tls);
  return { url, port, initializeVersions, close: () => stop(server) };
}

// A web server that is not MCP: 200 and HTML for everything.
export async function plainWebServer(): Promise<Server> {
  const { server, url, port } = await listen((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>it works</html>"));
  return { url, port, close: () => stop(server) };
}

// A peer that answers Bolt's handshake as a Neo4j 5 server does: it picks 5.8 from the client's proposals.
export async function boltPeer(answer = Buffer.from([0, 0, 8, 5])): Promise<Server & { handshakes: Buffer[] }> {
  const handshakes: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    let got = Buffer.alloc(0);
    s.on("data", (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 20) {
        handshakes.push(got.subarray(0, 20));
        s.write(answer);
      }
    });
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `bolt://127.0.0.1:${port}`,
    port,
    handshakes,
    close: () => {
      for (const x of sockets) x.destroy();
      return stop(server);
    },
  };
}

export async function webhookReceiver(): Promise<Server & { received: WebhookPayload[] }> {
  const received: WebhookPayload[] = [];
  const { server, url, port } = await listen(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    received.push(JSON.parse(Buffer.concat(chunks).toString()) as WebhookPayload);
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
  return { url: `${url}/hooks/T000/B000`, port, received, close: () => stop(server) };
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

// The app compiled as its Dockerfile compiles it (tsc -p tsconfig.json), into a directory of its own so
// that test files running at once do not share one.
export function compileApp(): string {
  const out = path.join(APP, `dist-test-${process.pid}`);
  const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", path.join(APP, "tsconfig.json"), "--outDir", out], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tsc failed: ${r.stdout}${r.stderr}`);
  return out;
}

export interface RunningMonitor {
  url: string;
  port: number;
  logs: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startMonitor(dist: string, config: MonitorConfigInput, opts: { dir: string; port?: number; env?: Record<string, string> }): Promise<RunningMonitor> {
  const port = opts.port ?? (await freePort());
  const file = path.join(opts.dir, "monitor.json");
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  let out = "";
  const child: ChildProcess = spawn(process.execPath, [path.join(dist, "main.js")], {
    env: { PATH: process.env.PATH, HEALTH_MONITOR_CONFIG: file, PORT: String(port), NODE_ENV: "production", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`monitor exited ${child.exitCode}: ${out}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`monitor did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    logs: () => out,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function waitFor<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export const getJson = async <T = unknown>(url: string): Promise<{ status: number; body: T; headers: Headers }> => {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as T, headers: r.headers };
};
