// The runbook's interface on one port: /dashboard, /health, /api/health/overall, /api/health/service/:name,
// /api/health/history/:name, /api/alerts, /api/services, /metrics, and live updates over WebSocket.
// Read-only: every route is a GET. The dashboard is static files under a CSP that forbids inline scripts.
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { WebSocketServer, type WebSocket } from "ws";
import type { Monitor } from "./monitor";

export const VERSION = "1.0.0";

// 'self' in connect-src also admits the page's own ws:/wss: origin (CSP Level 3).
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STATIC: Record<string, { file: string; type: string }> = {
  "/dashboard": { file: "dashboard.html", type: "text/html; charset=utf-8" },
  "/dashboard.js": { file: "dashboard.js", type: "text/javascript; charset=utf-8" },
  "/dashboard.css": { file: "dashboard.css", type: "text/css; charset=utf-8" },
};

export interface ServerOptions {
  // Directory of dashboard.html, dashboard.js and dashboard.css.
  publicDir: string;
}

export interface RunningServer {
  server: http.Server;
  wss: WebSocketServer;
  close(): Promise<void>;
}

function headers(type: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "content-type": type,
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
    ...extra,
  };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, headers("application/json; charset=utf-8")).end(JSON.stringify(body));
}

// Browsers send Origin on a WebSocket upgrade: only a page from the host the dashboard is served from may
// open one (no other site can read the fleet's state through a visitor's browser). Host names are compared
// without ports: a proxy in front may drop the port (nginx's `Host $host` does). Clients without Origin (curl,
// wscat) are allowed.
export function sameOrigin(req: Pick<http.IncomingMessage, "headers">): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  const host = req.headers.host;
  if (!host) return false;
  try {
    return new URL(origin).hostname.toLowerCase() === new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return false;
  }
}

export function createServer(monitor: Monitor, opts: ServerOptions): RunningServer {
  const files = new Map(Object.entries(STATIC).map(([route, f]) => [route, { ...f, body: fs.readFileSync(path.join(opts.publicDir, f.file)) }]));
  const clients = new Set<WebSocket>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://monitor");
    if (req.method !== "GET" && req.method !== "HEAD") return json(res, 405, { error: "method not allowed: this API is read-only" });
    const p = url.pathname.replace(/\/+$/, "") || "/";
    const file = files.get(p);
    if (file) return void res.writeHead(200, headers(file.type)).end(req.method === "HEAD" ? undefined : file.body);
    // Browsers ask for it on every page; there is none.
    if (p === "/favicon.ico") return void res.writeHead(204, headers("image/x-icon")).end();
    if (p === "/") return void res.writeHead(302, headers("text/plain", { location: "/dashboard" })).end();
    if (p === "/health")
      return json(res, 200, {
        status: "healthy",
        timestamp: new Date().toISOString(),
        service: "health-monitor",
        version: VERSION,
        uptime: process.uptime(),
        dependencies: { targets: monitor.config.targets.length, websocket_clients: clients.size },
      });
    if (p === "/api/health/overall") return json(res, 200, monitor.overall());
    if (p === "/api/services")
      return json(
        res,
        200,
        monitor.config.targets.map((t) => ({
          name: t.name,
          service: t.service,
          kind: t.kind,
          role: t.role,
          checks: t.checks.map((c) => (c.type === "http" || c.type === "mcp" ? { type: c.type, url: c.url } : { type: c.type, host: c.host, port: c.port })),
        })),
      );
    if (p === "/metrics") {
      void monitor.metrics.text().then(
        (body) => res.writeHead(200, { "content-type": monitor.metrics.contentType, "cache-control": "no-store" }).end(body),
        (e: Error) => json(res, 500, { error: e.message }),
      );
      return;
    }
    let m = /^\/api\/health\/service\/([^/]+)$/.exec(p);
    if (m) {
      const name = decodeURIComponent(m[1]!);
      const service = monitor.resolveService(name);
      const s = service && monitor.service(service);
      return s ? json(res, 200, s) : json(res, 404, { error: `no service ${name}`, services: monitor.serviceNames() });
    }
    m = /^\/api\/health\/history\/([^/]+)$/.exec(p);
    if (m) {
      const name = decodeURIComponent(m[1]!);
      const limit = Number(url.searchParams.get("limit") ?? "") || undefined;
      const h = monitor.historyOf(name, limit);
      return h ? json(res, 200, h) : json(res, 404, { error: `no service or target ${name}`, services: monitor.serviceNames() });
    }
    if (p === "/api/alerts") {
      const resolved = url.searchParams.get("resolved");
      return json(
        res,
        200,
        monitor.alertList({
          service: url.searchParams.get("service") ?? undefined,
          resolved: resolved === null ? undefined : resolved === "true",
        }),
      );
    }
    json(res, 404, { error: `no route ${p}` });
  });

  const wss = new WebSocketServer({ server, verifyClient: ({ req }: { req: http.IncomingMessage }) => sameOrigin(req), maxPayload: 4096 });
  wss.on("connection", (ws) => {
    clients.add(ws);
    ws.on("close", () => clients.delete(ws));
    ws.on("error", () => clients.delete(ws));
    // A new client gets the current state at once, then every change.
    ws.send(JSON.stringify({ type: "health", data: monitor.overall() }));
  });
  const broadcast = (msg: unknown) => {
    const text = JSON.stringify(msg);
    for (const c of clients) if (c.readyState === c.OPEN) c.send(text);
  };
  const onUpdate = (data: unknown) => broadcast({ type: "health", data });
  const onAlert = (data: unknown) => broadcast({ type: "alert", data });
  monitor.on("update", onUpdate);
  monitor.on("alert", onAlert);

  return {
    server,
    wss,
    close: () =>
      new Promise<void>((resolve) => {
        monitor.off("update", onUpdate);
        monitor.off("alert", onAlert);
        for (const c of clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
