// MCP load for the Swarm drills: a few workers, each sending MCP `initialize` requests at a steady rate
// through the gateways (TLS, API key) to every server in turn, for as long as it runs. Like a load
// balancer in front of gateways that publish host-mode ports, a request that could not open a TLS
// session with a node's gateway (refused: none listening there, or its engine stopped) is sent to the
// next node, as nothing of it was sent; a request counts as failed when no node answered it, when its
// connection broke after it was sent, or when the answer was not 200 with an MCP result.
import * as https from "https";

export interface LoadTarget {
  // Gateway nodes' addresses, tried in turn.
  hosts: string[];
  // Route port -> API key.
  routes: { port: number; key: string }[];
  ca: string;
}

export interface LoadReport {
  sent: number;
  ok: number;
  failed: number;
  // Connections refused or reset before an answer, each then tried on the next node.
  failedOver: number;
  // The first failures, for the assertion message.
  failures: string[];
  seconds: number;
}

export interface Load {
  // Counts since the last mark (or the start), and starts a new period.
  mark(): LoadReport;
  stop(): Promise<LoadReport>;
}

const INIT = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "swarm-drill", version: "1" } },
});

// Thrown when no TLS session with a gateway was established: nothing of the request was sent, so a load
// balancer may send it to the next node (connection refused, unreachable, or no handshake within 3 s).
class NotConnected extends Error {}

// Ends the session an initialize opened (DELETE, as a client that is done does), so that the servers do
// not hold every session the drills open: the stand-ins, like the real servers, keep sessions in memory
// until they are closed (seen: gmail and rag OOM-killed at their 256 MB limit after a few minutes of
// load). Best effort and not counted: the measured request is the initialize.
function endSession(host: string, port: number, key: string, ca: string, sessionId: string): Promise<void> {
  return new Promise((resolve) => {
    const req = https.request(
      { host, port, path: "/mcp", method: "DELETE", ca, agent: false, timeout: 5000, headers: { authorization: `Bearer ${key}`, "mcp-session-id": sessionId } },
      (res) => {
        res.resume();
        res.on("end", () => resolve());
        res.on("error", () => resolve());
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve());
    req.end();
  });
}

function post(host: string, port: number, key: string, ca: string): Promise<{ status: number; body: string; sessionId?: string }> {
  return new Promise((resolve, reject) => {
    let connected = false;
    const req = https.request(
      {
        host,
        port,
        path: "/mcp",
        method: "POST",
        ca,
        agent: false,
        timeout: 10_000,
        headers: {
          authorization: `Bearer ${key}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "content-length": Buffer.byteLength(INIT),
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        const sid = res.headers["mcp-session-id"];
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, sessionId: typeof sid === "string" ? sid : undefined }));
        res.on("error", reject);
      },
    );
    const handshake = setTimeout(() => req.destroy(new Error("no TLS session within 3 s")), 3000);
    req.on("socket", (s) =>
      s.once("secureConnect", () => {
        connected = true;
        clearTimeout(handshake);
      }),
    );
    req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
    req.on("error", (e) => {
      clearTimeout(handshake);
      reject(connected ? e : new NotConnected(e.message));
    });
    req.end(INIT);
  });
}

// A steady rate, not as fast as the servers answer: a closed loop saturated the smallest replicas (0.5 CPU
// each on a loaded 2-core machine), whose health checks then timed out and the gateways took them out of
// rotation — failures of the load, not of the drill.
export const LOAD_RATE_PER_SECOND = 20;

// When a failure ended (UTC, ms): matched against the gateways' logs and the engines' events.
const stamp = () => new Date().toISOString().slice(11, 23);

export function startLoad(target: LoadTarget, workers = 3, ratePerSecond = LOAD_RATE_PER_SECOND): Load {
  const spacingMs = (1000 * workers) / ratePerSecond;
  let running = true;
  let period = { sent: 0, ok: 0, failed: 0, failedOver: 0, failures: [] as string[], since: Date.now() };
  let turn = 0;
  const one = async () => {
    const i = turn++;
    const route = target.routes[i % target.routes.length]!;
    period.sent++;
    const counted = period;
    let last = "";
    for (let n = 0; n < target.hosts.length; n++) {
      const host = target.hosts[(i + n) % target.hosts.length]!;
      try {
        const r = await post(host, route.port, route.key, target.ca);
        if (r.status === 200 && /"result"/.test(r.body)) {
          counted.ok++;
          if (r.sessionId) await endSession(host, route.port, route.key, target.ca, r.sessionId);
        } else {
          counted.failed++;
          if (counted.failures.length < 10) counted.failures.push(`${stamp()} ${host}:${route.port} HTTP ${r.status} ${r.body.slice(0, 120)}`);
        }
        return;
      } catch (e) {
        last = `${stamp()} ${host}:${route.port} ${(e as Error).message}`;
        if (!(e instanceof NotConnected)) break;
        counted.failedOver++;
      }
    }
    counted.failed++;
    if (counted.failures.length < 10) counted.failures.push(last);
  };
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const t0 = Date.now();
      await one();
      const rest = spacingMs - (Date.now() - t0);
      if (rest > 0 && running) await new Promise((r) => setTimeout(r, rest));
    }
  });
  const report = (): LoadReport => ({ ...period, failures: [...period.failures], seconds: (Date.now() - period.since) / 1000 });
  return {
    mark: () => {
      const r = report();
      period = { sent: 0, ok: 0, failed: 0, failedOver: 0, failures: [], since: Date.now() };
      return r;
    },
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return report();
    },
  };
}
