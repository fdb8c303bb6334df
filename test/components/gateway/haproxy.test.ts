// The rendered config on the real HAProxy (3.2) on loopback, with TLS, in front of replicas built with
// the MCP SDK and plain stubs, called by the MCP SDK client with real JWTs: what a client of the platform sees.
import { createHash } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import * as http from "http";
import * as https from "https";
import * as tls from "tls";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { platformSchema, type PlatformConfig } from "../../../components/config/schema";
import { gatewayModel, metadataUrl, retryAfterSeconds, type GatewayModel } from "../../../components/gateway/model";
import { skipOrFail } from "../../harness/tools";
import { makeIssuer, startGateway, startMcpReplica, selfSigned, tlsRequest, trustingFetch, type Issuer, type McpReplica, type RunningGateway } from "./harness";
import { findHaproxy, freePorts, startReplica, type StubReplica } from "./stubs";

const HAPROXY = findHaproxy();
const client = (i: number) => `127.0.0.${i + 2}`;

let gateway: RunningGateway;
let model: GatewayModel;
let config: PlatformConfig;
let ca: string;
let issuer: Issuer;
// A second signing key of the same issuer: a rotation in progress lists both.
let rotated: Issuer;
let stranger: Issuer;
const gmail: McpReplica[] = [];
const rag: McpReplica[] = [];
const graphiti: StubReplica[] = [];
let monitor: StubReplica;
const port: Record<string, number> = {};
const API_KEYS = { graphiti: { alice: "alice-key-0123456789abcdefghijklmnopqrstuvwxyz", bob: "bob-key-0123456789abcdefghijklmnopqrstuvwxyz01" }, "health-monitor": { ops: "ops-key-0123456789abcdefghijklmnopqrstuvwxyz01" } };

let startError: unknown;
beforeAll(async () => {
  if (!HAPROXY.bin) return;
  try {
    await start(HAPROXY.bin);
  } catch (e) {
    startError = e;
  }
}, 60_000);

async function start(bin: string) {
  issuer = await makeIssuer("https://auth.example.com");
  rotated = await makeIssuer("https://auth.example.com");
  stranger = await makeIssuer("https://auth.example.com");
  const [pg, pgr, pr, pm, metrics] = await freePorts(5);
  Object.assign(port, { gmail: pg, graphiti: pgr, rag: pr, "health-monitor": pm, metrics });
  config = platformSchema.parse({
    gateway: { tls: { selfSigned: true }, publicHost: "127.0.0.1", allowedOrigins: ["https://app.example.com"], metricsPort: metrics },
    services: {
      gmail: {
        replicas: 3,
        publishedPort: pg,
        rateLimitPerMinute: 60000,
        rateLimitBurst: 1000,
        auth: { mode: "oauth", issuer: issuer.issuer, publicKeys: [issuer.publicKeyPem, rotated.publicKeyPem], scopes: ["mcp:tools"] },
      },
      // A low limit to exceed: 6 a minute with a burst of 3.
      graphiti: { replicas: 2, publishedPort: pgr, path: "/mcp/", rateLimitPerMinute: 6, rateLimitBurst: 3, auth: { mode: "apiKey", clients: ["alice", "bob"] } },
      rag: { replicas: 2, publishedPort: pr, rateLimitPerMinute: 60000, rateLimitBurst: 1000, auth: { mode: "oauth", issuer: issuer.issuer, publicKeys: [issuer.publicKeyPem] } },
    },
    healthMonitor: { build: { context: "x" }, publishedPort: pm, auth: { mode: "apiKey", clients: ["ops"] } },
  });
  model = gatewayModel(config);
  for (let i = 1; i <= 3; i++) gmail.push(await startMcpReplica(`gmail-${i}`, "stateful"));
  for (let i = 1; i <= 2; i++) rag.push(await startMcpReplica(`rag-${i}`, "stateless"));
  for (let i = 1; i <= 2; i++) graphiti.push(await startReplica(`graphiti-${i}`, "/mcp/"));
  monitor = await startReplica("health-monitor-1", "/");
  const peers: Record<string, string[]> = {
    gmail: gmail.map((r) => r.address),
    rag: rag.map((r) => r.address),
    graphiti: graphiti.map((r) => r.address),
    "health-monitor": [monitor.address],
  };
  for (const r of model.routes) r.peers = peers[r.service]!;
  const cert = selfSigned();
  ca = cert.cert;
  gateway = await startGateway(bin, model, { tlsPem: cert.pem, apiKeys: API_KEYS });
}

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([...gmail, ...rag, ...graphiti, ...(monitor ? [monitor] : [])].map((r) => r.stop()));
});

beforeEach((ctx) => {
  skipOrFail(ctx, HAPROXY.problem);
  if (startError) throw startError;
});

const route = (service: string) => model.routes.find((r) => r.service === service)!;
const mcpUrl = (service: string) => new URL(route(service).resource);
const initialize = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
const post = (service: string, headers: Record<string, string>, from = client(1), body = initialize) =>
  tlsRequest(port[service]!, ca, {
    path: mcpUrl(service).pathname,
    method: "POST",
    from,
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body,
  });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const gmailToken = (claims: Record<string, unknown> = {}, opts: Parameters<Issuer["sign"]>[1] = {}) =>
  issuer.sign({ aud: route("gmail").resource, sub: "alice", scope: "mcp:tools mcp:read", ...claims }, opts);

async function connect(service: string, token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const c = new Client({ name: "gateway-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(mcpUrl(service), { fetch: trustingFetch(ca, token) });
  await c.connect(transport);
  return { client: c, transport };
}
// One command on the gateway's runtime API (the admin socket in its run directory).
const adminCommand = (command: string) =>
  new Promise<string>((resolve, reject) => {
    let out = "";
    const s = net.connect(path.join(gateway.dir, "run", "admin.sock"), () => s.end(`${command}\n`));
    s.on("data", (d: Buffer) => (out += d.toString()));
    s.on("end", () => resolve(out));
    s.on("error", reject);
  });
const whoami = async (c: Client) => ((await c.callTool({ name: "whoami" })).content as { text: string }[])[0]!.text;

describe("OAuth 2.1 resource server (oauth mode)", () => {
  it("answers a request without a token 401, pointing at its RFC 9728 metadata, which it serves", async () => {
    const r = await post("gmail", {});
    expect(r.status).toBe(401);
    const challenge = r.headers["www-authenticate"] as string;
    expect(challenge).toBe(`Bearer resource_metadata="${metadataUrl(route("gmail"))}", scope="mcp:tools", error="invalid_token"`);
    expect(metadataUrl(route("gmail"))).toBe(`https://127.0.0.1:${port.gmail}/.well-known/oauth-protected-resource/mcp`);
    const meta = await tlsRequest(port.gmail!, ca, { path: "/.well-known/oauth-protected-resource/mcp" });
    expect(meta.status).toBe(200);
    expect(JSON.parse(meta.body)).toEqual({
      resource: `https://127.0.0.1:${port.gmail}/mcp`,
      authorization_servers: ["https://auth.example.com"],
      scopes_supported: ["mcp:tools"],
      bearer_methods_supported: ["header"],
      resource_name: "gmail",
    });
  });

  it("lets the MCP SDK client in with a valid token, and never passes the token upstream", async () => {
    const { client: c, transport } = await connect("gmail", await gmailToken());
    const tools = await c.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(["whoami"]);
    await transport.terminateSession();
    await c.close();
    const seen = gmail.flatMap((r) => r.requests);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((q) => q.authorization)).toEqual([]);
  });

  it.each([
    ["another audience (RFC 8707)", () => gmailToken({ aud: "https://other.example.com/mcp" })],
    ["an audience list without this route", () => gmailToken({ aud: ["https://a.example.com", "https://b.example.com"] })],
    ["another issuer", () => gmailToken({ iss: "https://evil.example.com" })],
    ["a signature by an unknown key", () => stranger.sign({ aud: route("gmail").resource, sub: "x", scope: "mcp:tools" })],
    ["an expired token", () => gmailToken({ exp: Math.floor(Date.now() / 1000) - 120 })],
    ["a token not valid yet (nbf)", () => gmailToken({ nbf: Math.floor(Date.now() / 1000) + 600 })],
    ["a token without exp", () => gmailToken({}, { noExpiry: true })],
    ["garbage", async () => "not.a.jwt"],
  ])("refuses %s with 401", async (_what, token) => {
    const r = await post("gmail", bearer(await token()));
    expect(r.status).toBe(401);
    expect(r.headers["www-authenticate"]).toContain('resource_metadata="');
  });

  it("refuses an alg=none token and an HS256 token keyed with the public key", async () => {
    const { createHmac } = await import("crypto");
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const claims = { iss: issuer.issuer, aud: route("gmail").resource, sub: "x", scope: "mcp:tools", exp: Math.floor(Date.now() / 1000) + 300 };
    const none = `${b64({ alg: "none" })}.${b64(claims)}.`;
    const hsInput = `${b64({ alg: "HS256" })}.${b64(claims)}`;
    const hs = `${hsInput}.${createHmac("sha256", issuer.publicKeyPem).update(hsInput).digest("base64url")}`;
    for (const t of [none, hs]) expect((await post("gmail", bearer(t))).status).toBe(401);
  });

  it("answers 403 insufficient_scope when a required scope is missing", async () => {
    const r = await post("gmail", bearer(await gmailToken({ scope: "mcp:read" })));
    expect(r.status).toBe(403);
    expect(r.headers["www-authenticate"]).toContain('error="insufficient_scope"');
    expect(r.headers["www-authenticate"]).toContain('scope="mcp:tools"');
    // A scope that merely starts with the required one is not it.
    expect((await post("gmail", bearer(await gmailToken({ scope: "mcp:toolsmith" })))).status).toBe(403);
  });

  it("accepts tokens signed by either key during a rotation", async () => {
    const old = await post("gmail", bearer(await gmailToken()));
    const next = await post("gmail", bearer(await rotated.sign({ aud: route("gmail").resource, sub: "alice", scope: "mcp:tools" })));
    expect([old.status, next.status]).toEqual([200, 200]);
  });

  it("accepts aud as a list that contains the route's canonical URL", async () => {
    const r = await post("gmail", bearer(await gmailToken({ aud: ["https://a.example.com", route("gmail").resource] })));
    expect(r.status).toBe(200);
  });

  it("verifies a token once, then checks only its time: refused once it expires, and a changed byte is a new token", async () => {
    const t = await gmailToken({ sub: "dave", exp: Math.floor(Date.now() / 1000) + 3 });
    expect((await post("gmail", bearer(t))).status).toBe(200);
    // Its verification is kept by the token's SHA-256, with its exp.
    const table = await adminCommand("show table jwt_gmail");
    const key = createHash("sha256").update(t).digest("hex").toUpperCase();
    const entry = table.split("\n").find((l) => l.toUpperCase().includes(`KEY=${key}`));
    expect(entry).toBeDefined();
    expect(entry).toMatch(/gpt0=1 /);
    expect(entry).toContain(`gpt1=${JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString()).exp}`);
    expect((await post("gmail", bearer(t))).status).toBe(200);
    // One byte of the signature changed: another token, verified again, refused.
    const forged = t.slice(0, -2) + (t.at(-2) === "A" ? "B" : "A") + t.at(-1);
    expect((await post("gmail", bearer(forged))).status).toBe(401);
    // The payload changed under the same signature (another client): refused.
    const [h, , sig] = t.split(".");
    const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString()), sub: "mallory" })).toString("base64url");
    expect((await post("gmail", bearer(`${h}.${other}.${sig}`))).status).toBe(401);
    await new Promise((r) => setTimeout(r, 4000));
    const late = await post("gmail", bearer(t));
    expect(late.status).toBe(401);
    expect(late.headers["www-authenticate"]).toContain('error="invalid_token"');
  }, 15_000);

  it("does not remember a token without the required scope", async () => {
    const t = await gmailToken({ scope: "mcp:read" });
    expect((await post("gmail", bearer(t))).status).toBe(403);
    expect((await post("gmail", bearer(t))).status).toBe(403);
    const key = createHash("sha256").update(t).digest("hex").toUpperCase();
    expect((await adminCommand("show table jwt_gmail")).toUpperCase()).not.toContain(`KEY=${key}`);
  });

  it("refuses a token in the query string", async () => {
    const t = await gmailToken();
    const r = await tlsRequest(port.gmail!, ca, { path: `/mcp?access_token=${t}`, method: "POST", body: initialize, headers: { "content-type": "application/json", accept: "application/json, text/event-stream" } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(gateway.log())).not.toContain(t);
  });
});

describe("apiKey mode", () => {
  it("lets a client in with its key, refuses a wrong one, keeps only hashes, strips the key", async () => {
    const ok = await post("graphiti", bearer(API_KEYS.graphiti.alice), client(10), "{}");
    expect(ok.status).toBe(200);
    const wrong = await post("graphiti", bearer("alice-key-but-wrong"), client(10), "{}");
    expect(wrong.status).toBe(401);
    expect(wrong.headers["www-authenticate"]).toBe('Bearer realm="graphiti", error="invalid_token"');
    expect((await post("graphiti", {}, client(10), "{}")).status).toBe(401);
    const map = fs.readFileSync(`${gateway.confDir}/graphiti-api-keys.map`, "utf8");
    expect(map).not.toContain(API_KEYS.graphiti.alice);
    expect(map).toMatch(/^[0-9a-f]{64} alice\n[0-9a-f]{64} bob\n$/);
    for (const r of graphiti) for (const q of r.seen) expect(q.headers.authorization).toBeUndefined();
  });

  it("takes the key as an HTTP Basic password on the monitor's dashboard, and asks browsers for it", async () => {
    const none = await tlsRequest(port["health-monitor"]!, ca, { path: "/dashboard" });
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toContain('Basic realm="health-monitor"');
    const basic = Buffer.from(`ops:${API_KEYS["health-monitor"].ops}`).toString("base64");
    const r = await tlsRequest(port["health-monitor"]!, ca, { path: "/api/health/overall", headers: { authorization: `Basic ${basic}` } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ replica: "health-monitor-1" });
    // Its liveness alone needs no credentials, as each MCP server's /health.
    expect((await tlsRequest(port["health-monitor"]!, ca, { path: "/health" })).status).toBe(200);
  });
});

describe("Origin validation", () => {
  it("answers 403 to an Origin outside the allowlist, and lets the listed ones and the route's own through", async () => {
    const t = await gmailToken();
    expect((await post("gmail", { ...bearer(t), origin: "https://evil.example.com" })).status).toBe(403);
    expect((await post("gmail", { ...bearer(t), origin: "http://127.0.0.1:1234" })).status).toBe(403);
    expect((await post("gmail", { ...bearer(t), origin: "https://app.example.com" })).status).toBe(200);
    expect((await post("gmail", { ...bearer(t), origin: `https://127.0.0.1:${port.gmail}` })).status).toBe(200);
  });
});

describe("TLS", () => {
  it("refuses plain HTTP on a route's port", async () => {
    const r = await new Promise<string>((resolve) => {
      const req = http.request({ host: "127.0.0.1", port: port.gmail, path: "/mcp", method: "POST", agent: false, timeout: 5000 }, (res) => resolve(`HTTP ${res.statusCode}`));
      req.on("error", (e) => resolve(`error: ${e.message}`));
      req.end("{}");
    });
    expect(r).toMatch(/^(error|HTTP 400)/);
  });

  it("speaks TLS 1.2 and 1.3 only, and sends HSTS", async () => {
    const handshake = (v: tls.SecureVersion) =>
      new Promise<string>((resolve) => {
        const s = tls.connect({ host: "127.0.0.1", port: port.gmail, ca, minVersion: v, maxVersion: v }, () => {
          resolve(s.getProtocol() ?? "?");
          s.end();
        });
        s.on("error", () => resolve("refused"));
      });
    expect(await handshake("TLSv1.3")).toBe("TLSv1.3");
    expect(await handshake("TLSv1.2")).toBe("TLSv1.2");
    // OpenSSL's default security level may refuse TLS 1.1 on this side first; either way no TLS 1.1 session.
    expect(await handshake("TLSv1.1")).toBe("refused");
    const r = await post("gmail", bearer(await gmailToken()));
    expect(r.headers["strict-transport-security"]).toBe("max-age=63072000");
  });
});

describe("session routing", () => {
  it("keeps a 2025-11-25 session of 50 requests on one replica while 40 clients spread over 3", async () => {
    const token = await gmailToken();
    const sessions = await Promise.all(Array.from({ length: 40 }, () => connect("gmail", token)));
    const homes = await Promise.all(sessions.map((s) => whoami(s.client)));
    const spread = new Set(homes);
    expect(spread).toEqual(new Set(["gmail-1", "gmail-2", "gmail-3"]));
    const answers: string[] = [];
    for (let i = 0; i < 50; i++) answers.push(await whoami(sessions[0]!.client));
    expect(new Set(answers)).toEqual(new Set([homes[0]]));
    await Promise.all(sessions.map(async (s) => {
      await s.transport.terminateSession();
      await s.client.close();
    }));
  }, 60_000);

  it("passes an unknown session id to a replica, so the client gets the server's own 404", async () => {
    const r = await post("gmail", { ...bearer(await gmailToken()), "mcp-session-id": "no-such-session" }, client(20), JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }));
    expect(r.status).toBe(404);
    expect(r.body).toMatch(/session not found on gmail-\d/);
  });

  it("balances requests without a session (2026-07-28) across replicas, MCP headers untouched both ways", async () => {
    const t = await issuer.sign({ aud: route("rag").resource, sub: "bob" });
    const headers = { ...bearer(t), "mcp-method": "tools/list", "mcp-name": "=?base64?d2hvYW1p?=", "mcp-param-cursor": "abc", "mcp-protocol-version": "2025-11-25" };
    const before = rag.map((r) => r.requests.length);
    for (let i = 0; i < 6; i++) {
      const r = await post("rag", headers, client(30), JSON.stringify({ jsonrpc: "2.0", id: i, method: "tools/list" }));
      expect(r.status).toBe(200);
    }
    const served = rag.map((r, i) => r.requests.length - before[i]!);
    expect(served.every((n) => n > 0)).toBe(true);
    const last = rag.flatMap((r) => r.requests).at(-1)!;
    expect(last.headers).toMatchObject({ "mcp-method": "tools/list", "mcp-name": "=?base64?d2hvYW1p?=", "mcp-param-cursor": "abc", "mcp-protocol-version": "2025-11-25" });
    expect(last.authorization).toBe(false);
  });

  it("passes Mcp-Session-Id, MCP-Protocol-Version and Last-Event-ID through, and exposes them to browsers", async () => {
    const r = await post("graphiti", { ...bearer(API_KEYS.graphiti.bob), "mcp-session-id": "abc-123", "mcp-protocol-version": "2025-11-25", "last-event-id": "7" }, client(40), "{}");
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ mcpSessionId: "abc-123", mcpProtocolVersion: "2025-11-25", lastEventId: "7" });
    expect(r.headers["mcp-session-id"]).toMatch(/^graphiti-(\d)\.graphiti-\1-session$/);
    expect(r.headers["access-control-expose-headers"]).toBe("Mcp-Session-Id, MCP-Protocol-Version");
  });
});

describe("streaming", () => {
  it("delivers an SSE stream's first event while the replica still holds it open", async () => {
    const events = await new Promise<string[]>((resolve, reject) => {
      const received: string[] = [];
      const guard = setTimeout(() => reject(new Error(`no event within 5 s (buffered?): ${received.join("|")}`)), 5000);
      const req = https.request(
        { host: "127.0.0.1", port: port.graphiti, path: "/mcp/", method: "GET", ca, agent: false, headers: { accept: "text/event-stream", "accept-encoding": "gzip", ...bearer(API_KEYS.graphiti.alice) } },
        (res) => {
          expect(res.headers["content-type"]).toBe("text/event-stream");
          expect(res.headers["content-encoding"]).toBeUndefined();
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            received.push(chunk);
            if (received.length === 1) for (const r of graphiti) r.releaseStreams();
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
    expect(events[0]).toMatch(/^id: 1\ndata: first from graphiti-\d\n\n/);
    expect(events.join("")).toMatch(/data: last from graphiti-\d\n\n$/);
  });

  it("closes the replica's stream when the client goes away (2026-07-28 cancellation)", async () => {
    const closedBefore = graphiti.map((r) => r.closedStreams());
    await new Promise<void>((resolve, reject) => {
      const req = https.request(
        { host: "127.0.0.1", port: port.graphiti, path: "/mcp/", method: "GET", ca, agent: false, headers: { accept: "text/event-stream", ...bearer(API_KEYS.graphiti.bob) } },
        (res) => res.once("data", () => {
          req.destroy();
          resolve();
        }),
      );
      req.on("error", () => undefined);
      setTimeout(() => reject(new Error("no first event")), 5000);
      req.end();
    });
    for (let i = 0; i < 50 && graphiti.every((r, j) => r.closedStreams() === closedBefore[j]); i++) await new Promise((r) => setTimeout(r, 100));
    expect(graphiti.reduce((n, r, j) => n + r.closedStreams() - closedBefore[j]!, 0)).toBe(1);
  });
});

describe("rate limits", () => {
  it("limits each authenticated client: over the limit 429 with Retry-After and a JSON-RPC body; another client has its own", async () => {
    const statuses: number[] = [];
    let rejected: Awaited<ReturnType<typeof post>> | undefined;
    // Several source addresses, one client: the limit follows the key, not the address.
    for (let i = 0; i < 8; i++) {
      const r = await post("graphiti", bearer(API_KEYS.graphiti.bob), client(60 + i), "{}");
      statuses.push(r.status);
      if (r.status === 429) rejected = r;
    }
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(4);
    expect(rejected!.headers["retry-after"]).toBe(String(retryAfterSeconds(6)));
    expect(rejected!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(rejected!.body)).toMatchObject({ jsonrpc: "2.0", error: { code: -32000, message: expect.stringMatching(/rate limit exceeded: graphiti allows 6 requests per minute/) } });
    // alice was used above a few times, but far less: she still gets through.
    expect((await post("graphiti", bearer(API_KEYS.graphiti.alice), client(60), "{}")).status).toBe(200);
  });
});

describe("observability", () => {
  it("logs JSON with the authenticated client, never a token", async () => {
    const t = await gmailToken({ sub: "carol" });
    await post("gmail", bearer(t), client(70));
    await new Promise((r) => setTimeout(r, 200));
    const lines = gateway.log();
    const carol = lines.filter((l) => l.client === "carol");
    expect(carol.length).toBeGreaterThan(0);
    expect(carol[0]).toMatchObject({ service: "gmail", method: "POST", path: "/mcp", status: 200, address: client(70) });
    expect(String(carol[0]!.upstream)).toMatch(/^gmail-\d$/);
    expect(gateway.output()).not.toContain(t);
    expect(gateway.output()).not.toContain(API_KEYS.graphiti.alice);
  });

  it("serves Prometheus metrics and per route and client counters with a latency histogram, on the internal port", async () => {
    const prom = await (await fetch(`http://127.0.0.1:${port.metrics}/metrics`)).text();
    expect(prom).toMatch(/haproxy_frontend_http_requests_total\{proxy="gmail"\} \d+/);
    expect(prom).toMatch(/haproxy_frontend_http_responses_total\{proxy="gmail",code="4xx"\} [1-9]/);
    const clients = await (await fetch(`http://127.0.0.1:${port.metrics}/metrics/clients`)).text();
    const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}"+.]/g, "\\$&")} (\\S+)$`, "m").exec(clients)?.[1]);
    expect(value('mcp_gateway_client_requests_total{route="gmail",client="alice"}')).toBeGreaterThan(0);
    expect(value('mcp_gateway_client_denied_total{route="gmail",client="unauthenticated",status="401"}')).toBeGreaterThan(0);
    expect(value('mcp_gateway_client_denied_total{route="gmail",client="alice",status="403"}')).toBeGreaterThan(0);
    expect(value('mcp_gateway_client_denied_total{route="graphiti",client="bob",status="429"}')).toBeGreaterThan(0);
    const count = value('mcp_gateway_client_response_seconds_count{route="gmail",client="alice"}');
    expect(value('mcp_gateway_client_response_seconds_bucket{route="gmail",client="alice",le="+Inf"}')).toBe(count);
    expect(value('mcp_gateway_client_response_seconds_bucket{route="gmail",client="alice",le="10"}')).toBe(count);
    // Cumulative, as Prometheus reads them, though the config counts each band once.
    const buckets = ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "10"].map((le) =>
      value(`mcp_gateway_client_response_seconds_bucket{route="gmail",client="alice",le="${le}"}`),
    );
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(value('mcp_gateway_client_response_seconds_sum{route="gmail",client="alice"}')).toBeGreaterThan(0);
    // Not on a route's port.
    expect((await tlsRequest(port.gmail!, ca, { path: "/metrics" })).status).toBe(404);
  });
});

describe("the verification's gateway checks, against the real gateway", () => {
  it("pass on a route that refuses what it must and keeps a session on one replica", async () => {
    const { checkGateway } = await import("../../../components/verify/checks");
    const r = await checkGateway(route("gmail").resource, { token: await gmailToken({ sub: "verify" }), ca, timeoutMs: 5000 });
    expect(r).toEqual({ ok: true, detail: "401/403 as expected; one session, one replica" });
  });

  it("fail on a route without authentication, naming what went wrong", async () => {
    const { checkGateway } = await import("../../../components/verify/checks");
    // graphiti's route asks for an API key; called as if it were open, with a direct replica as the URL.
    const r = await checkGateway(`http://${graphiti[0]!.address}/mcp/`, { ca, timeoutMs: 5000 });
    expect(r.ok).toBe(false);
    expect(r.detail).toContain("no token: HTTP 200, not 401");
    expect(r.detail).toContain("foreign Origin: HTTP 200, not 403");
    expect(r.detail).toContain("the route is plain HTTP");
  });
});
