// Stand-ins for MCP server replicas and a client with a chosen source address, for the real-HAProxy tests.
import * as child from "child_process";
import * as http from "http";
import * as net from "net";

export interface StubReplica {
  name: string;
  address: string;
  // Requests it received (method, path, headers).
  seen: { method: string; path: string; headers: http.IncomingHttpHeaders }[];
  // Ends every SSE stream this replica holds open (they send a first event, then wait for this).
  releaseStreams(): void;
  // SSE streams that ended because the client (through the gateway) went away.
  closedStreams(): number;
  stop(): Promise<void>;
}

// One replica: answers its MCP path with a JSON body naming itself and echoing the MCP headers it got,
// sets Mcp-Session-Id on the response, and on a GET asking for text/event-stream sends one event, then
// holds the stream open until released.
export async function startReplica(name: string, mcpPath: string): Promise<StubReplica> {
  const seen: StubReplica["seen"] = [];
  const waiting: (() => void)[] = [];
  let closed = 0;
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers });
    // A replica that dies with the request in hand: it read the request, then drops the connection.
    if (req.headers["x-test-crash"] === name) {
      req.socket.destroy();
      return;
    }
    req.resume();
    req.on("end", () => {
      if (req.method === "GET" && req.url === mcpPath && /text\/event-stream/.test(req.headers.accept ?? "")) {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "mcp-session-id": `${name}-session` });
        res.write(`id: 1\ndata: first from ${name}\n\n`);
        res.on("close", () => {
          if (!res.writableFinished) closed++;
        });
        waiting.push(() => res.end(`id: 2\ndata: last from ${name}\n\n`));
        return;
      }
      const body = JSON.stringify({
        replica: name,
        method: req.method,
        path: req.url,
        mcpSessionId: req.headers["mcp-session-id"],
        mcpProtocolVersion: req.headers["mcp-protocol-version"],
        lastEventId: req.headers["last-event-id"],
        forwardedFor: req.headers["x-forwarded-for"],
      });
      res.writeHead(200, {
        "content-type": "application/json",
        "mcp-session-id": `${name}-session`,
        "mcp-protocol-version": String(req.headers["mcp-protocol-version"] ?? "2025-06-18"),
      });
      res.end(body);
    });
  });
  // WebSocket-style upgrade: answers 101 and echoes what it receives.
  const upgraded = new Set<net.Socket>();
  server.on("upgrade", (req: http.IncomingMessage, socket: net.Socket) => {
    upgraded.add(socket);
    socket.on("close", () => upgraded.delete(socket));
    seen.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers });
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    socket.on("data", (d: Buffer) => socket.write(`${name} echoes ${d.toString()}`));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    name,
    address: `127.0.0.1:${port}`,
    seen,
    releaseStreams: () => waiting.splice(0).forEach((end) => end()),
    closedStreams: () => closed,
    stop: () =>
      new Promise<void>((resolve) => {
        waiting.splice(0).forEach((end) => end());
        server.close(() => resolve());
        // Keepalive connections from the gateway too: a stopped replica refuses everything.
        server.closeAllConnections();
        // Upgraded sockets are no longer the server's to close.
        for (const socket of upgraded) socket.destroy();
      }),
  };
}

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve) => {
      const s = net.createServer();
      s.listen(0, "127.0.0.1", () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

// One request on a fresh connection from a chosen loopback source address (a distinct client to the gateway).
export function request(
  port: number,
  opts: { path: string; method?: string; from?: string; headers?: Record<string, string>; body?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, path: opts.path, method: opts.method ?? "GET", localAddress: opts.from, headers: opts.headers, agent: false, timeout: 10_000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`request to :${port}${opts.path} timed out`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

// HAProxy of the line prod pins (3.2): MCP_HAPROXY_BIN, the CI tree (.ci/toolchain/haproxy.sh), or a
// haproxy on PATH that is 3.2 or newer. Returns the binary, or why there is none.
export function findHaproxy(): { bin?: string; problem?: string } {
  const candidates = [process.env.MCP_HAPROXY_BIN, "/var/cache/mcp-platform-ci/haproxy/bin/haproxy", "haproxy"].filter((c): c is string => Boolean(c));
  for (const bin of candidates) {
    const v = child.spawnSync(bin, ["-v"], { encoding: "utf8" });
    const m = /HAProxy version (\d+)\.(\d+)/.exec(v.stdout ?? "");
    if (m && (Number(m[1]) > 3 || (Number(m[1]) === 3 && Number(m[2]) >= 2))) return { bin };
  }
  return { problem: "HAProxy 3.2 or newer is not installed here (bash .ci/toolchain/haproxy.sh installs it); CI runs these" };
}
