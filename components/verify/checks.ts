// Post-deploy checks, shared by `npm run verify` and the verification resource that runs on every
// `pulumi up`: each service's health through its public URL and, for each MCP server, an MCP handshake
// (initialize, then tools/list) with the official SDK client, retried until a deadline.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
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

export async function checkHealth(url: string, timeoutMs: number): Promise<StepResult> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
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
export async function checkMcp(url: string, timeoutMs: number): Promise<StepResult & { tools: string[] }> {
  const client = new Client({ name: "mcp-platform-verify", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url));
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
  const mcp = ep.mcpUrl ? await checkMcp(ep.mcpUrl, timeoutMs) : undefined;
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
