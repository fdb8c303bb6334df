// The rendered gateway config run by the real nginx (Debian's package) on loopback, in front of stub
// replicas started here: what a client of the platform sees.
import * as child from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { platformSchema } from "../../../components/config/schema";
import { gatewayModel, renderNginxConf, retryAfterSeconds, type GatewayModel } from "../../../components/gateway/nginx-conf";
import { findNginx, freePorts, request, startReplica, type StubReplica } from "./stubs";

const NGINX = findNginx();
// CI installs nginx (.ci/run): there a missing nginx is a failure, never a skip.
const SKIP_REASON = !NGINX && !process.env.CI ? "nginx is not installed here (apt-get install nginx-light); CI runs these" : undefined;

// Distinct loopback source addresses: distinct clients to nginx.
const client = (i: number) => `127.0.0.${i + 2}`;

const config = platformSchema.parse({
  services: {
    gmail: { replicas: 3, rateLimitPerMinute: 6000, rateLimitBurst: 200 },
    // A low limit to exceed: 6 a minute (one every 10 s) with a burst of 3.
    graphiti: { replicas: 2, rateLimitPerMinute: 6, rateLimitBurst: 3 },
    rag: { replicas: 2, rateLimitPerMinute: 6000, rateLimitBurst: 200 },
  },
});

let dir: string;
let nginx: child.ChildProcess | undefined;
let nginxLog = "";
// A second gateway with the same config, as on a second Swarm node: its listen port for gmail.
let second: child.ChildProcess | undefined;
let secondGmailPort = 0;
const replicas: Record<string, StubReplica[]> = {};
const port: Record<string, number> = {};
let model: GatewayModel;

// A failure to start is reported by every test (vitest would mark them skipped after a failing beforeAll).
let startError: unknown;
beforeAll(async () => {
  if (SKIP_REASON) return;
  try {
    await start();
  } catch (e) {
    startError = e;
  }
});

async function start() {
  if (!NGINX) throw new Error("nginx is not installed, but CI must run the gateway tests: install nginx-light (.ci/run does)");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gateway-"));
  model = gatewayModel(config);
  const ports = await freePorts(model.routes.length);
  // The test's own addresses are parameters of the model: listen ports it picked, stub replicas as peers.
  for (const [i, route] of model.routes.entries()) {
    const mcpPath = route.mcpPath ?? "/";
    const stubs = await Promise.all(route.peers.map((_, r) => startReplica(`${route.service}-${r + 1}`, mcpPath)));
    replicas[route.service] = stubs;
    route.peers = stubs.map((s) => s.address);
    route.listenPort = ports[i]!;
    port[route.service] = ports[i]!;
  }
  const conf = renderNginxConf(model, { listenAddress: "127.0.0.1", runtimeDir: dir, accessLog: path.join(dir, "access.log"), errorLog: "stderr" });
  fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
  nginx = child.spawn(NGINX, ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-e", "stderr"], { stdio: ["ignore", "ignore", "pipe"] });
  nginx.stderr!.on("data", (d: Buffer) => (nginxLog += d.toString()));
  await ready(nginx, port.gmail!);
  // The second gateway: the same model and peers, its own listen ports and runtime directory.
  const secondDir = path.join(dir, "second");
  fs.mkdirSync(secondDir);
  const secondPorts = await freePorts(model.routes.length);
  const secondModel = { ...model, routes: model.routes.map((r, i) => ({ ...r, listenPort: secondPorts[i]! })) };
  secondGmailPort = secondModel.routes.find((r) => r.service === "gmail")!.listenPort;
  const secondConf = renderNginxConf(secondModel, { listenAddress: "127.0.0.1", runtimeDir: secondDir, accessLog: path.join(secondDir, "access.log"), errorLog: "stderr" });
  fs.writeFileSync(path.join(secondDir, "nginx.conf"), secondConf);
  second = child.spawn(NGINX, ["-p", secondDir, "-c", path.join(secondDir, "nginx.conf"), "-e", "stderr"], { stdio: ["ignore", "ignore", "pipe"] });
  second.stderr!.on("data", (d: Buffer) => (nginxLog += d.toString()));
  await ready(second, secondGmailPort);
}

// Ready when it answers its own health endpoint (bounded: 50 tries, 100 ms apart).
async function ready(proc: child.ChildProcess, healthPort: number) {
  for (let attempt = 0; ; attempt++) {
    const up = await request(healthPort, { path: "/healthz" }).then((r) => r.status === 200, () => false);
    if (up) return;
    if (attempt >= 50 || proc.exitCode !== null) throw new Error(`nginx did not start:\n${nginxLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

afterAll(async () => {
  for (const proc of [nginx, second]) {
    if (!proc || proc.exitCode !== null) continue;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (proc.exitCode === null) proc.kill("SIGKILL");
  }
  await Promise.all(Object.values(replicas).flat().map((r) => r.stop()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach((ctx) => {
  if (SKIP_REASON) ctx.skip(SKIP_REASON);
  if (startError) throw startError;
});

const accessLog = () =>
  fs
    .readFileSync(path.join(dir, "access.log"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, string>);

describe("the gateway's nginx config, run by the real nginx on loopback", () => {
  it("passes nginx -t", () => {
    const t = child.spawnSync(NGINX!, ["-t", "-p", dir, "-c", path.join(dir, "nginx.conf"), "-e", "stderr"], { encoding: "utf8" });
    expect(t.stderr).toContain("syntax is ok");
    expect(t.status, t.stderr).toBe(0);
  });

  it("answers its own health endpoint without touching a replica", async () => {
    const before = replicas.gmail!.reduce((n, r) => n + r.seen.length, 0);
    const r = await request(port.gmail!, { path: "/healthz" });
    expect([r.status, r.body]).toEqual([200, "ok\n"]);
    expect(replicas.gmail!.reduce((n, r) => n + r.seen.length, 0)).toBe(before);
  });

  it("keeps each client on one replica, and spreads different clients over the replicas", async () => {
    const chosen = new Map<string, Set<string>>();
    for (let c = 0; c < 24; c++) {
      const from = client(c);
      const set = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const r = await request(port.gmail!, { path: "/mcp", method: "POST", from, headers: { "content-type": "application/json" }, body: "{}" });
        expect(r.status).toBe(200);
        set.add((JSON.parse(r.body) as { replica: string }).replica);
      }
      chosen.set(from, set);
    }
    for (const [from, set] of chosen) expect(set.size, `${from} went to ${[...set].join(", ")}`).toBe(1);
    const used = new Set([...chosen.values()].flatMap((s) => [...s]));
    expect(used.size).toBeGreaterThanOrEqual(2);
  });

  it("sends each client to the same replica through either of two gateways (two Swarm nodes)", async () => {
    const via = async (gatewayPort: number, from: string) => {
      const r = await request(gatewayPort, { path: "/mcp", method: "POST", from, headers: { "content-type": "application/json" }, body: "{}" });
      expect(r.status).toBe(200);
      return (JSON.parse(r.body) as { replica: string }).replica;
    };
    const used = new Set<string>();
    for (let c = 0; c < 24; c++) {
      const first = await via(port.gmail!, client(c));
      expect(await via(secondGmailPort, client(c)), client(c)).toBe(first);
      used.add(first);
    }
    expect(used.size).toBeGreaterThanOrEqual(2);
  });

  it("passes the MCP headers both ways and makes the session id readable by browsers", async () => {
    const r = await request(port.gmail!, {
      path: "/mcp",
      method: "POST",
      from: client(40),
      headers: { "content-type": "application/json", "mcp-session-id": "abc-123", "mcp-protocol-version": "2025-06-18", "last-event-id": "7" },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(r.status).toBe(200);
    const got = JSON.parse(r.body) as Record<string, string>;
    expect(got).toMatchObject({ mcpSessionId: "abc-123", mcpProtocolVersion: "2025-06-18", lastEventId: "7", forwardedFor: client(40) });
    expect(r.headers["mcp-session-id"]).toBe(`${got.replica}-session`);
    expect(r.headers["mcp-protocol-version"]).toBe("2025-06-18");
    expect(r.headers["access-control-expose-headers"]).toBe("Mcp-Session-Id, MCP-Protocol-Version");
  });

  it("streams an SSE response: the first event arrives while the replica still holds the stream open", async () => {
    const events = await new Promise<string[]>((resolve, reject) => {
      const received: string[] = [];
      const guard = setTimeout(() => reject(new Error(`no event within 5 s (buffered?): ${received.join("|")}`)), 5000);
      const req = http.request(
        { host: "127.0.0.1", port: port.gmail, path: "/mcp", method: "GET", localAddress: client(41), agent: false, headers: { accept: "text/event-stream", "accept-encoding": "gzip" } },
        (res) => {
          expect(res.headers["content-type"]).toBe("text/event-stream");
          expect(res.headers["content-encoding"]).toBeUndefined();
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            received.push(chunk);
            // Only now, with the first event in hand, may the replica finish the stream.
            if (received.length === 1) for (const r of replicas.gmail!) r.releaseStreams();
          });
          res.on("end", () => {
            clearTimeout(guard);
            resolve(received);
          });
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(events[0]).toMatch(/^id: 1\ndata: first from gmail-\d\n\n/);
    expect(events.join("")).toMatch(/data: last from gmail-\d\n\n$/);
  });

  it("serves a burst above the limit with 429, a JSON body and Retry-After; the rest pass", async () => {
    const from = client(60);
    const statuses: number[] = [];
    let rejected: Awaited<ReturnType<typeof request>> | undefined;
    for (let i = 0; i < 10; i++) {
      const r = await request(port.graphiti!, { path: "/mcp", method: "POST", from, headers: { "content-type": "application/json" }, body: "{}" });
      statuses.push(r.status);
      if (r.status === 429) rejected = r;
    }
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // 1 + burst pass at once; at 6 a minute another slot frees only every 10 s.
    const passed = statuses.filter((s) => s === 200).length;
    expect(passed).toBeGreaterThanOrEqual(4);
    expect(passed).toBeLessThanOrEqual(5);
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect(rejected!.headers["retry-after"]).toBe(String(retryAfterSeconds(6)));
    expect(rejected!.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(rejected!.body) as { error: { message: string } };
    expect(body.error.message).toMatch(/rate limit exceeded: graphiti allows 6 requests per minute/);
    // Another client has its own allowance.
    expect((await request(port.graphiti!, { path: "/mcp", method: "POST", from: client(61), body: "{}" })).status).toBe(200);
    // The JSON access log shows each rejection.
    const rejections = accessLog().filter((l) => l.service === "graphiti" && l.client === from && l.status === "429");
    expect(rejections.length).toBe(10 - passed);
    expect(rejections.every((l) => l.rate_limit === "REJECTED")).toBe(true);
  });

  it("serves graphiti at its exact MCP path /mcp and answers other paths with a JSON 404", async () => {
    const r = await request(port.rag!, { path: "/other", from: client(70) });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toEqual({ error: "not found: the MCP endpoint of rag is /mcp" });
    const seen = replicas.graphiti!.flatMap((s) => s.seen.map((q) => q.path));
    expect(new Set(seen)).toEqual(new Set(["/mcp"]));
  });

  it("proxies the health monitor's dashboard and API on its own port", async () => {
    const r = await request(port["health-monitor"]!, { path: "/api/health/overall", from: client(71) });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ replica: "health-monitor-1", path: "/api/health/overall" });
  });

  it("never sends a POST that a replica received to another replica; a GET it retries", async () => {
    const from = client(80);
    const mine = (JSON.parse((await request(port.gmail!, { path: "/mcp", method: "POST", from, body: "{}" })).body) as { replica: string }).replica;
    const count = () => replicas.gmail!.map((r) => r.seen.filter((q) => q.headers["x-test-crash"] === mine).length);
    const post = await request(port.gmail!, { path: "/mcp", method: "POST", from, headers: { "x-test-crash": mine }, body: "{}" });
    expect(post.status).toBe(502);
    // Only the replica that died saw it.
    expect(count().reduce((a, b) => a + b, 0)).toBe(1);
    const get = await request(port.gmail!, { path: "/mcp", from, headers: { "x-test-crash": mine } });
    expect(get.status).toBe(200);
    expect((JSON.parse(get.body) as { replica: string }).replica).not.toBe(mine);
  });

  it("passes the monitor dashboard's WebSocket upgrade through", async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error("no WebSocket echo within 5 s")), 5000);
      const req = http.request({
        host: "127.0.0.1",
        port: port["health-monitor"],
        path: "/",
        localAddress: client(81),
        agent: false,
        headers: { connection: "Upgrade", upgrade: "websocket" },
      });
      req.on("upgrade", (res, socket) => {
        expect(res.statusCode).toBe(101);
        socket.write("hello");
        socket.once("data", (d: Buffer) => {
          clearTimeout(guard);
          socket.destroy();
          resolve(d.toString());
        });
      });
      req.on("error", reject);
      req.end();
    });
    expect(reply).toBe("health-monitor-1 echoes hello");
  });

  it("skips a stopped replica: every client still gets its answer, none a 5xx", async () => {
    const clients = Array.from({ length: 24 }, (_, c) => client(100 + c));
    const post = (from: string) =>
      request(port.rag!, { path: "/mcp", method: "POST", from, headers: { "content-type": "application/json" }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
    const before = await Promise.all(clients.map(post));
    const onSecond = clients.filter((_, i) => (JSON.parse(before[i]!.body) as { replica: string }).replica === "rag-2");
    // Some clients were on the replica that stops, or the test would prove nothing.
    expect(onSecond.length).toBeGreaterThan(0);
    await replicas.rag![1]!.stop();
    for (let round = 0; round < 3; round++) {
      const after = await Promise.all(clients.map(post));
      for (const r of after) {
        expect(r.status).toBe(200);
        expect((JSON.parse(r.body) as { replica: string }).replica).toBe("rag-1");
      }
    }
  });
});
