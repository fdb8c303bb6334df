// The rendered gateway config run by the real HAProxy (3.2, the line prod pins) on loopback, with the
// files the container gets, a certificate made by the same openssl command the program runs, and real
// JWTs signed with jose.
import * as child from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { randomUUID } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from "jose";
import { Agent, fetch as undiciFetch } from "undici";
import { apiKeyMapFile, issuerKeyFile, METRICS_LUA, renderApiKeyMap, renderHaproxyCfg, TLS_PEM } from "../../../components/gateway/haproxy-cfg";
import { selfSignedCommand, sha256Hex } from "../../../components/gateway/index";
import type { GatewayModel } from "../../../components/gateway/model";
import { scriptSource } from "../../../components/gateway/spec";

export interface RunningGateway {
  dir: string;
  confDir: string;
  // Access log lines (JSON) and everything else HAProxy printed.
  log(): Record<string, unknown>[];
  output(): string;
  stop(): Promise<void>;
}

// A certificate for 127.0.0.1, made by the command the program runs for a self-signed pair.
export function selfSigned(): { pem: string; cert: string } {
  const r = child.spawnSync("sh", ["-c", selfSignedCommand("127.0.0.1")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { pem: r.stdout, cert: /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/.exec(r.stdout)![0] };
}

export interface Issuer {
  issuer: string;
  publicKeyPem: string;
  sign(claims: JWTPayload, opts?: { alg?: string; expiresIn?: string | number; key?: CryptoKey; noExpiry?: boolean }): Promise<string>;
}

export async function makeIssuer(issuer: string, alg = "RS256"): Promise<Issuer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    issuer,
    publicKeyPem: await exportSPKI(publicKey),
    sign: (claims, opts = {}) => {
      const jwt = new SignJWT({ ...claims }).setProtectedHeader({ alg: opts.alg ?? alg }).setIssuedAt();
      if (claims.iss === undefined) jwt.setIssuer(issuer);
      if (claims.exp === undefined && !opts.noExpiry) jwt.setExpirationTime(opts.expiresIn ?? "5m");
      return jwt.sign(opts.key ?? privateKey);
    },
  };
}

export const apiKeyEntries = (keys: Record<string, string>) => Object.entries(keys).map(([client, key]) => ({ client, sha256: sha256Hex(key) }));

// Writes the config directory as the container gets it and runs HAProxy on it (no master-worker here:
// reload.test.ts runs the container's entrypoint for that).
export function writeConfDir(
  dir: string,
  model: GatewayModel,
  material: { tlsPem?: string; apiKeys?: Record<string, Record<string, string>> },
): { confDir: string; runDir: string; cfg: string } {
  const confDir = path.join(dir, "conf");
  const runDir = path.join(dir, "run");
  fs.mkdirSync(confDir, { recursive: true });
  fs.mkdirSync(runDir, { recursive: true });
  const cfg = renderHaproxyCfg(model, { listenAddress: "127.0.0.1", confDir, runtimeDir: runDir });
  fs.writeFileSync(path.join(confDir, "haproxy.cfg"), cfg);
  for (const name of ["entrypoint.sh", "healthcheck.sh", METRICS_LUA]) fs.writeFileSync(path.join(confDir, name), scriptSource(name));
  if (material.tlsPem) fs.writeFileSync(path.join(confDir, TLS_PEM), material.tlsPem, { mode: 0o400 });
  for (const r of model.routes) {
    if (r.auth.mode === "oauth") r.auth.publicKeys.forEach((pem, i) => fs.writeFileSync(path.join(confDir, issuerKeyFile(r.service, i)), pem));
    if (r.auth.mode === "apiKey") fs.writeFileSync(path.join(confDir, apiKeyMapFile(r.service)), renderApiKeyMap(apiKeyEntries(material.apiKeys?.[r.service] ?? {})));
  }
  return { confDir, runDir, cfg };
}

export async function startGateway(
  bin: string,
  model: GatewayModel,
  material: { tlsPem?: string; apiKeys?: Record<string, Record<string, string>> },
): Promise<RunningGateway> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gateway-"));
  const { confDir } = writeConfDir(dir, model, material);
  const check = child.spawnSync(bin, ["-c", "-f", path.join(confDir, "haproxy.cfg")], { encoding: "utf8" });
  if (check.status !== 0) throw new Error(`haproxy -c refused the rendered config:\n${check.stderr}${check.stdout}`);
  let out = "";
  const proc = child.spawn(bin, ["-db", "-f", path.join(confDir, "haproxy.cfg")], { stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  await waitReady(model.tuning.metricsPort, () => proc.exitCode !== null, () => out);
  return {
    dir,
    confDir,
    output: () => out,
    log: () =>
      out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (proc.exitCode === null) proc.kill("SIGKILL");
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Ready when the metrics port answers /healthz (bounded: 100 tries, 100 ms apart).
export async function waitReady(metricsPort: number, exited: () => boolean, output: () => string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const up = await fetch(`http://127.0.0.1:${metricsPort}/healthz`).then((r) => r.status === 200, () => false);
    if (up) return;
    if (attempt >= 100 || exited()) throw new Error(`haproxy did not start:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface TlsReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

// One HTTPS request on a fresh connection, from a chosen loopback source address, trusting the gateway's certificate.
export function tlsRequest(
  port: number,
  ca: string,
  opts: { path: string; method?: string; from?: string; headers?: Record<string, string>; body?: string },
): Promise<TlsReply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: "127.0.0.1", port, path: opts.path, method: opts.method ?? "GET", localAddress: opts.from, headers: opts.headers, ca, agent: false, timeout: 10_000 },
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

// fetch for the MCP SDK client that trusts the gateway's certificate and sends a bearer token.
export function trustingFetch(ca: string, token?: string): typeof fetch {
  const dispatcher = new Agent({ connect: { ca } });
  const f = (url: string | URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (token) headers.set("authorization", `Bearer ${token}`);
    // undici's fetch and the global one share the WHATWG types but not their declarations.
    return undiciFetch(url, { ...(init as object), headers, dispatcher } as Parameters<typeof undiciFetch>[1]);
  };
  return f as unknown as typeof fetch;
}

export interface McpReplica {
  name: string;
  address: string;
  // Every request it received: whether it carried Authorization, its session id, its MCP headers.
  requests: { method: string; authorization: boolean; sessionId?: string; headers: http.IncomingHttpHeaders }[];
  // Streams whose client went away (the request's socket closed before the response ended).
  closedByClient: number;
  stop(): Promise<void>;
}

// A replica built with the MCP SDK: stateful (2025-11-25 sessions held in its memory) or stateless (as a
// server of the 2026-07-28 revision, which has no sessions). Its tool `whoami` answers its name.
export async function startMcpReplica(name: string, mode: "stateful" | "stateless"): Promise<McpReplica> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const requests: McpReplica["requests"] = [];
  let closedByClient = 0;
  const newServer = () => {
    const mcp = new McpServer({ name: `replica-${name}`, version: "1.0.0" });
    mcp.registerTool("whoami", { description: "the replica's name" }, async () => ({ content: [{ type: "text", text: name }] }));
    return mcp;
  };
  const server = http.createServer(async (req, res) => {
    const sessionId = typeof req.headers["mcp-session-id"] === "string" ? req.headers["mcp-session-id"] : undefined;
    requests.push({ method: req.method ?? "", authorization: "authorization" in req.headers, sessionId, headers: req.headers });
    res.on("close", () => {
      if (!res.writableFinished) closedByClient++;
    });
    if (req.url === "/health") return void res.writeHead(200, { "content-type": "application/json" }).end('{"status":"healthy"}');
    if (mode === "stateless") {
      const t = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      await newServer().connect(t);
      await t.handleRequest(req, res);
      return;
    }
    let transport = sessionId ? transports.get(sessionId) : undefined;
    if (sessionId && !transport) {
      // The session lives in another replica's memory, or has ended: the spec's 404.
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: `session not found on ${name}` } }));
      return;
    }
    if (!transport) {
      const t = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => void transports.set(id, t) });
      t.onclose = () => void (t.sessionId && transports.delete(t.sessionId));
      await newServer().connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    name,
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    get closedByClient() {
      return closedByClient;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
