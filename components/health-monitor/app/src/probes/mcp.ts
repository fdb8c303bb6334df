// MCP-level probe with the official SDK client: initialize, then tools/list, once per protocol revision,
// each request timed. The SDK's Client always asks for its newest revision; to ask for another, the
// outgoing initialize is rewritten on its way to the transport, and everything else (version checks,
// the session id, the MCP-Protocol-Version header, the initialized notification) stays the SDK's own.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { readSecretFile, type McpCheck } from "../config";
import { elapsed, errorMessage, withTimeout, type CheckResult, type StepResult } from "./result";
import { fetchFor } from "./tls";

export const CLIENT_INFO = { name: "mcp-platform-health-monitor", version: "1.0.0" };

function askFor(transport: StreamableHTTPClientTransport, protocolVersion: string): void {
  const send = transport.send.bind(transport);
  transport.send = (message: JSONRPCMessage, options) => {
    if ("method" in message && message.method === "initialize" && "id" in message)
      message = { ...message, params: { ...message.params, protocolVersion } };
    return send(message, options);
  };
}

export async function probeMcpRevision(c: McpCheck, protocolVersion: string, timeoutMs: number): Promise<CheckResult> {
  const label = `mcp ${protocolVersion}`;
  const steps: StepResult[] = [];
  const token = readSecretFile(c.bearerTokenFile);
  const transport = new StreamableHTTPClientTransport(new URL(c.url), {
    requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : undefined,
    fetch: fetchFor(c.tls),
  });
  askFor(transport, protocolVersion);
  const client = new Client(CLIENT_INFO);
  let step = "initialize";
  let t = performance.now();
  try {
    await withTimeout(client.connect(transport, { timeout: timeoutMs }), timeoutMs, "initialize");
    steps.push({ step, ms: elapsed(t), ok: true });
    step = "tools/list";
    t = performance.now();
    const { tools } = await withTimeout(client.listTools(undefined, { timeout: timeoutMs }), timeoutMs, "tools/list");
    steps.push({ step, ms: elapsed(t), ok: true });
    const negotiated = transport.protocolVersion ?? protocolVersion;
    return {
      check: label,
      ok: true,
      ms: Math.max(...steps.map((s) => s.ms)),
      detail: `${tools.length} tool${tools.length === 1 ? "" : "s"}${negotiated !== protocolVersion ? ` (server answered ${negotiated})` : ""}`,
      steps,
      tools: tools.length,
      protocolVersion: negotiated,
    };
  } catch (e) {
    steps.push({ step, ms: elapsed(t), ok: false });
    // The SDK's StreamableHTTPError carries the HTTP status as its code.
    const code = (e as { code?: unknown }).code;
    const status = typeof code === "number" && code >= 100 && code < 600 ? `HTTP ${code}: ` : "";
    return { check: label, ok: false, ms: Math.max(...steps.map((s) => s.ms)), detail: `${step}: ${status}${errorMessage(e)}`, steps };
  } finally {
    // Servers that keep sessions in memory (the PA gmail fork) would otherwise hold one per probe.
    await withTimeout(transport.terminateSession(), 2_000, "session end").catch(() => undefined);
    await client.close().catch(() => undefined);
  }
}

export async function probeMcp(c: McpCheck, timeoutMs: number): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const v of c.protocolVersions) out.push(await probeMcpRevision(c, v, timeoutMs));
  return out;
}
