// Post-deploy checks, shared by `npm run verify` and the verification resource that runs on every
// `pulumi up`: each service's health through its public URL and, for each MCP server, an MCP handshake
// (initialize, then tools/list) with the official SDK client, retried until a deadline.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

export interface ServiceEndpoint {
  name: string;
  healthUrl: string;
  // Present for MCP servers.
  mcpUrl?: string;
}

export interface StepResult {
  ok: boolean;
  // HTTP status, tool count or the error, for the table.
  detail: string;
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
}

export const DEFAULT_OPTIONS: VerifyOptions = { deadlineMs: 120_000, attemptTimeoutMs: 10_000, retryDelayMs: 2_000 };

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 120);

export async function checkHealth(url: string, timeoutMs: number): Promise<StepResult> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return { ok: res.ok, detail: `HTTP ${res.status}` };
  } catch (e) {
    return { ok: false, detail: message(e) };
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
export async function checkMcp(url: string, timeoutMs: number): Promise<StepResult & { tools: string[] }> {
  const client = new Client({ name: "mcp-platform-verify", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  try {
    await withTimeout(client.connect(transport, { timeout: timeoutMs }), timeoutMs, "initialize");
    const { tools } = await withTimeout(client.listTools(undefined, { timeout: timeoutMs }), timeoutMs, "tools/list");
    const names = tools.map((t) => t.name);
    return { ok: true, detail: `${names.length} tool${names.length === 1 ? "" : "s"}`, tools: names };
  } catch (e) {
    return { ok: false, detail: message(e), tools: [] };
  } finally {
    await withTimeout(transport.terminateSession(), 2_000, "session end").catch(() => undefined);
    await client.close().catch(() => undefined);
  }
}

async function attempt(ep: ServiceEndpoint, timeoutMs: number): Promise<Omit<ServiceResult, "attempts">> {
  const started = performance.now();
  const health = await checkHealth(ep.healthUrl, timeoutMs);
  const mcp = ep.mcpUrl ? await checkMcp(ep.mcpUrl, timeoutMs) : undefined;
  return { name: ep.name, health, mcp, latencyMs: Math.round(performance.now() - started), ok: health.ok && (mcp?.ok ?? true) };
}

export async function verifyService(ep: ServiceEndpoint, opts: VerifyOptions = DEFAULT_OPTIONS): Promise<ServiceResult> {
  const deadline = Date.now() + opts.deadlineMs;
  for (let attempts = 1; ; attempts++) {
    const result = await attempt(ep, opts.attemptTimeoutMs);
    if (result.ok || Date.now() + opts.retryDelayMs >= deadline) return { ...result, attempts };
    await new Promise((r) => setTimeout(r, opts.retryDelayMs));
  }
}

export function verifyAll(endpoints: ServiceEndpoint[], opts: VerifyOptions = DEFAULT_OPTIONS): Promise<ServiceResult[]> {
  return Promise.all(endpoints.map((ep) => verifyService(ep, opts)));
}

// The checks for a stack, from its outputs (`pulumi stack output --json`): every MCP server, and the
// health monitor (its /health next to the dashboard).
export function endpointsFromOutputs(outputs: unknown): ServiceEndpoint[] {
  const o = (typeof outputs === "object" && outputs !== null ? outputs : {}) as Record<string, unknown>;
  const servers = (o.mcpServers ?? {}) as Record<string, { url?: unknown; healthUrl?: unknown }>;
  const out: ServiceEndpoint[] = [];
  for (const [name, s] of Object.entries(servers)) {
    if (typeof s?.url !== "string" || typeof s.healthUrl !== "string")
      throw new Error(`the stack output mcpServers.${name} has no url and healthUrl; is this an mcp-platform stack?`);
    out.push({ name, healthUrl: s.healthUrl, mcpUrl: s.url });
  }
  if (typeof o.dashboardUrl === "string") out.push({ name: "health-monitor", healthUrl: new URL("/health", o.dashboardUrl).toString() });
  if (out.length === 0) throw new Error("the stack outputs name no service (no mcpServers, no dashboardUrl); has the stack been deployed?");
  return out;
}

export function parseEndpoints(json: string): ServiceEndpoint[] {
  const value = JSON.parse(json) as unknown;
  if (!Array.isArray(value)) throw new Error("--endpoints must be a JSON array of {name, healthUrl, mcpUrl?}");
  return value.map((v, i) => {
    const e = v as Partial<ServiceEndpoint>;
    if (typeof e?.name !== "string" || typeof e.healthUrl !== "string" || (e.mcpUrl !== undefined && typeof e.mcpUrl !== "string"))
      throw new Error(`--endpoints[${i}] must be {name, healthUrl, mcpUrl?} with string values`);
    return { name: e.name, healthUrl: e.healthUrl, ...(e.mcpUrl ? { mcpUrl: e.mcpUrl } : {}) };
  });
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
