// Post-deploy checks, shared by `npm run verify` and the verification resource that runs on every
// `pulumi up`: each service's health through its public URL and, for each MCP server, an MCP handshake
// (initialize, then tools/list) with the official SDK client, retried until a deadline.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Agent, fetch as undiciFetch } from "undici";
import type { ServiceEndpoint } from "./endpoints";
import { classify, type FailureKind } from "./errors";

export type { ServiceEndpoint } from "./endpoints";
export { endpointsFromOutputs, parseEndpoints } from "./endpoints";

export interface StepResult {
  ok: boolean;
  // HTTP status, tool count or the error, for the table.
  detail: string;
  // Why it failed, when it did: refused, dns, tls, timeout, http, not-mcp...
  kind?: FailureKind;
}

export interface ServiceResult {
  name: string;
  health: StepResult;
  mcp?: StepResult & { tools: string[] };
  // Time of the last attempt's checks, in ms.
  latencyMs: number;
  attempts: number;
  ok: boolean;
}

export interface VerifyOptions {
  // Keep retrying a failing service until this many ms have passed since the start.
  deadlineMs: number;
  // Bound on each request.
  attemptTimeoutMs: number;
  retryDelayMs: number;
  // Called as each check completes (health, then MCP), for output that shows progress.
  onCheck?: (event: CheckEvent) => void;
}

export interface CheckEvent {
  service: string;
  check: "health" | "MCP";
  result: StepResult;
  attempt: number;
  elapsedMs: number;
}

export const DEFAULT_OPTIONS: VerifyOptions = { deadlineMs: 120_000, attemptTimeoutMs: 10_000, retryDelayMs: 2_000 };

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 120);

// Credentials and trust for the gateway's routes, from the environment (the verification resource sets
// them as secrets): MCP_PLATFORM_VERIFY_TOKENS = {"<service>": "<API key or access token>"}, and
// MCP_PLATFORM_VERIFY_CA = the gateway's certificate when it is self-signed.
export function verifyTokens(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  try {
    return JSON.parse(env.MCP_PLATFORM_VERIFY_TOKENS ?? "{}") as Record<string, string>;
  } catch {
    return {};
  }
}
const verifyCa = () => process.env.MCP_PLATFORM_VERIFY_CA || undefined;

export async function checkHealth(url: string, timeoutMs: number): Promise<StepResult> {
  try {
    const res = await gatewayFetch(verifyCa())(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok ? { ok: true, detail: `HTTP ${res.status}` } : { ok: false, detail: `HTTP ${res.status}`, kind: "http" };
  } catch (e) {
    const f = classify(e, url);
    return { ok: false, detail: f.kind === "timeout" && !/after \d+ ms/.test(f.detail) ? `timed out after ${timeoutMs} ms` : f.detail, kind: f.kind };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

// initialize (Client.connect) then tools/list; the session is ended afterwards so that servers which keep
// sessions in memory (gmail) are not left holding one per deploy.
export async function checkMcp(url: string, timeoutMs: number, token?: string): Promise<StepResult & { tools: string[] }> {
  const client = new Client({ name: "mcp-platform-verify", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: gatewayFetch(verifyCa()),
    ...(token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {}),
  });
  try {
    await withTimeout(client.connect(transport, { timeout: timeoutMs }), timeoutMs, "initialize");
    const { tools } = await withTimeout(client.listTools(undefined, { timeout: timeoutMs }), timeoutMs, "tools/list");
    const names = tools.map((t) => t.name);
    return { ok: true, detail: `${names.length} tool${names.length === 1 ? "" : "s"}`, tools: names };
  } catch (e) {
    const f = classify(e, url);
    return { ok: false, detail: f.detail, kind: f.kind, tools: [] };
  } finally {
    await withTimeout(transport.terminateSession(), 2_000, "session end").catch(() => undefined);
    await client.close().catch(() => undefined);
  }
}

async function attempt(ep: ServiceEndpoint, timeoutMs: number, n = 1, onCheck?: VerifyOptions["onCheck"]): Promise<Omit<ServiceResult, "attempts">> {
  const started = performance.now();
  const report = (check: CheckEvent["check"], result: StepResult) =>
    onCheck?.({ service: ep.name, check, result, attempt: n, elapsedMs: Math.round(performance.now() - started) });
  const health = await checkHealth(ep.healthUrl, timeoutMs);
  report("health", health);
  const mcp = ep.mcpUrl ? await checkMcp(ep.mcpUrl, timeoutMs, verifyTokens()[ep.name]) : undefined;
  if (mcp) report("MCP", mcp);
  return { name: ep.name, health, mcp, latencyMs: Math.round(performance.now() - started), ok: health.ok && (mcp?.ok ?? true) };
}

export async function verifyService(ep: ServiceEndpoint, opts: VerifyOptions = DEFAULT_OPTIONS): Promise<ServiceResult> {
  const deadline = Date.now() + opts.deadlineMs;
  for (let attempts = 1; ; attempts++) {
    const result = await attempt(ep, opts.attemptTimeoutMs, attempts, opts.onCheck);
    if (result.ok || Date.now() + opts.retryDelayMs >= deadline) return { ...result, attempts };
    await new Promise((r) => setTimeout(r, opts.retryDelayMs));
  }
}

export function verifyAll(endpoints: ServiceEndpoint[], opts: VerifyOptions = DEFAULT_OPTIONS): Promise<ServiceResult[]> {
  return Promise.all(endpoints.map((ep) => verifyService(ep, opts)));
}

export function formatTable(results: ServiceResult[]): string {
  const rows = [
    ["service", "health", "MCP tools", "latency", "result"],
    ...results.map((r) => [
      r.name,
      `${r.health.ok ? "ok" : "FAIL"} (${r.health.detail})`,
      r.mcp ? `${r.mcp.ok ? "ok" : "FAIL"} (${r.mcp.detail})` : "-",
      `${r.latencyMs} ms`,
      r.ok ? "ok" : `FAIL after ${r.attempts} attempt${r.attempts === 1 ? "" : "s"}`,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

// One line per failed service, for the error that fails `pulumi up`.
export function failureSummary(results: ServiceResult[]): string {
  return results
    .filter((r) => !r.ok)
    .map((r) => {
      const why = [!r.health.ok ? `health ${r.health.detail}` : "", r.mcp && !r.mcp.ok ? `MCP handshake ${r.mcp.detail}` : ""].filter(Boolean);
      return `${r.name}: ${why.join("; ")}`;
    })
    .join("\n");
}

// Negative checks on a route of the gateway, and session affinity: what a client without credentials,
// a token for another resource, a foreign web page or a plain-HTTP client gets, and whether one session
// stays on one replica (the gateway names the replica that answered in a response header).
export const REPLICA_HEADER = "x-mcp-platform-replica";

export interface GatewayCheckOptions {
  // A valid credential for the route (an API key, or an OAuth access token); without one the checks that
  // need it report so instead of failing.
  token?: string;
  // The gateway's certificate (PEM) when it is self-signed.
  ca?: string;
  timeoutMs: number;
}

// fetch that trusts the given certificate (the global fetch cannot be given one).
export function gatewayFetch(ca?: string): typeof fetch {
  if (!ca) return fetch;
  const dispatcher = new Agent({ connect: { ca } });
  // undici's fetch and the global one share the WHATWG types but not their declarations.
  return ((url: string | URL, init: RequestInit = {}) => undiciFetch(url, { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1])) as unknown as typeof fetch;
}

const INITIALIZE = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "mcp-platform-verify", version: "1.0.0" } } });
const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

async function status(f: typeof fetch, url: string, init: RequestInit, timeoutMs: number): Promise<Response | string> {
  try {
    const res = await f(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res;
  } catch (e) {
    return message(e);
  }
}

// A JWT-shaped token for another resource: the gateway must refuse it (as it refuses any token it
// cannot verify; whether it checks aud itself is shown by the gateway's own tests with real tokens).
export function foreignAudienceToken(): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ iss: "https://verify.invalid", aud: "https://another-resource.invalid/mcp", sub: "verify", exp: now + 300 })}.${Buffer.from("not-a-signature").toString("base64url")}`;
}

export async function checkGateway(mcpUrl: string, opts: GatewayCheckOptions): Promise<StepResult> {
  const f = gatewayFetch(opts.ca);
  const problems: string[] = [];
  const noToken = await status(f, mcpUrl, { method: "POST", headers: MCP_HEADERS, body: INITIALIZE }, opts.timeoutMs);
  if (typeof noToken === "string") problems.push(`no token: ${noToken}`);
  else {
    const challenge = noToken.headers.get("www-authenticate") ?? "";
    if (noToken.status !== 401) problems.push(`no token: HTTP ${noToken.status}, not 401`);
    else if (!/^Bearer /.test(challenge)) problems.push("no token: 401 without a Bearer challenge");
    else if (/resource_metadata=/.test(challenge)) {
      const meta = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
      const doc = meta ? await status(f, meta, {}, opts.timeoutMs) : "no URL";
      if (typeof doc === "string" || doc.status !== 200) problems.push(`resource metadata ${meta}: ${typeof doc === "string" ? doc : `HTTP ${doc.status}`}`);
    }
  }
  const foreign = await status(f, mcpUrl, { method: "POST", headers: { ...MCP_HEADERS, authorization: `Bearer ${foreignAudienceToken()}` }, body: INITIALIZE }, opts.timeoutMs);
  if (typeof foreign === "string" || foreign.status !== 401) problems.push(`token for another audience: ${typeof foreign === "string" ? foreign : `HTTP ${foreign.status}, not 401`}`);
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  const origin = await status(f, mcpUrl, { method: "POST", headers: { ...MCP_HEADERS, ...auth, origin: "https://dns-rebinding.invalid" }, body: INITIALIZE }, opts.timeoutMs);
  if (typeof origin === "string" || origin.status !== 403) problems.push(`foreign Origin: ${typeof origin === "string" ? origin : `HTTP ${origin.status}, not 403`}`);
  const u = new URL(mcpUrl);
  if (u.protocol === "https:") {
    const plain = await status(fetch, `http://${u.host}${u.pathname}`, { method: "POST", headers: MCP_HEADERS, body: INITIALIZE, redirect: "manual" }, opts.timeoutMs);
    if (typeof plain !== "string" && !(plain.status >= 300 && plain.status < 400) && plain.status !== 400)
      problems.push(`plain HTTP: answered HTTP ${plain.status} instead of refusing or redirecting`);
  } else problems.push("the route is plain HTTP");
  if (opts.token) {
    const affinity = await checkSessionAffinity(mcpUrl, { ...opts, token: opts.token });
    if (!affinity.ok) problems.push(affinity.detail);
  }
  return problems.length ? { ok: false, detail: problems.join("; ") } : { ok: true, detail: opts.token ? "401/403 as expected; one session, one replica" : "401/403 as expected (no token: affinity not checked)" };
}

// initialize, then `requests` pings in that session: every answer must come from the replica that
// answered initialize.
export async function checkSessionAffinity(mcpUrl: string, opts: GatewayCheckOptions & { token: string }, requests = 20): Promise<StepResult> {
  const f = gatewayFetch(opts.ca);
  const headers = { ...MCP_HEADERS, authorization: `Bearer ${opts.token}` };
  const init = await status(f, mcpUrl, { method: "POST", headers, body: INITIALIZE }, opts.timeoutMs);
  if (typeof init === "string" || init.status !== 200) return { ok: false, detail: `session: initialize ${typeof init === "string" ? init : `HTTP ${init.status}`}` };
  const session = init.headers.get("mcp-session-id");
  const home = init.headers.get(REPLICA_HEADER);
  // A server without sessions (2026-07-28) may answer from any replica.
  if (!session) return { ok: true, detail: "no session (stateless server)" };
  const seen = new Set<string>();
  try {
    for (let i = 0; i < requests; i++) {
      const r = await status(f, mcpUrl, { method: "POST", headers: { ...headers, "mcp-session-id": session }, body: JSON.stringify({ jsonrpc: "2.0", id: i + 2, method: "ping" }) }, opts.timeoutMs);
      if (typeof r === "string") return { ok: false, detail: `session: request ${i + 1}: ${r}` };
      seen.add(r.headers.get(REPLICA_HEADER) ?? `HTTP ${r.status}`);
    }
  } finally {
    await status(f, mcpUrl, { method: "DELETE", headers: { ...headers, "mcp-session-id": session } }, opts.timeoutMs);
  }
  return seen.size === 1 && seen.has(home ?? "")
    ? { ok: true, detail: `${requests} requests on ${home}` }
    : { ok: false, detail: `session: ${requests} requests answered by ${[...seen].join(", ")} after initialize on ${home}` };
}
