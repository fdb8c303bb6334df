// What went wrong with a check, in words a user can act on: Node's fetch reports every network failure
// as "fetch failed" and keeps the reason in `cause`; the MCP SDK reports HTTP and content-type trouble in
// its own errors. Each kind gets its own message.
export type FailureKind = "refused" | "dns" | "tls" | "timeout" | "reset" | "http" | "not-mcp" | "other";

export interface Failure {
  kind: FailureKind;
  detail: string;
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_INVALID_CERT)/;

interface ErrorLike {
  name?: string;
  message?: string;
  code?: unknown;
  hostname?: string;
  address?: string;
  port?: number;
  cause?: unknown;
}

// The innermost error with a code (undici nests the socket's error in `cause`, sometimes twice).
function causes(e: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  for (let cur = e, depth = 0; cur && typeof cur === "object" && depth < 5; depth++) {
    out.push(cur as ErrorLike);
    cur = (cur as ErrorLike).cause;
  }
  return out;
}

export function classify(e: unknown, url?: string): Failure {
  const chain = causes(e);
  const host = url ? safeHost(url) : undefined;
  for (const c of chain.slice().reverse()) {
    const code = typeof c.code === "string" ? c.code : "";
    if (code === "ECONNREFUSED")
      return { kind: "refused", detail: `connection refused by ${c.address ?? host ?? "the host"}${c.port ? `:${c.port}` : ""} (nothing listens there)` };
    if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME" || code === "EAI_FAIL")
      return { kind: "dns", detail: `DNS: cannot resolve ${c.hostname ?? host ?? "the host"} (${code})` };
    if (TLS_CODES.test(code) || /certificate|TLS|SSL/i.test(c.message ?? "") && code !== "")
      return { kind: "tls", detail: `TLS: ${c.message ?? code} (${code})` };
    if (code === "ECONNRESET" || code === "UND_ERR_SOCKET" || code === "EPIPE")
      return { kind: "reset", detail: `connection closed by ${host ?? "the host"} before it answered (${code})` };
    if (code === "UND_ERR_CONNECT_TIMEOUT" || code === "ETIMEDOUT" || code === "EHOSTUNREACH" || code === "ENETUNREACH")
      return { kind: "timeout", detail: `no answer from ${host ?? "the host"} (${code}: unreachable, or packets dropped by a firewall)` };
  }
  const top = chain[0] ?? {};
  const message = String(top.message ?? e).split("\n")[0]!;
  if (top.name === "TimeoutError" || top.name === "AbortError" || /timed out|timeout/i.test(message))
    return { kind: "timeout", detail: /timed out after/.test(message) ? message : `timed out: ${message}` };
  // The MCP SDK's StreamableHTTPError carries the HTTP status as a numeric code.
  if (top.name !== "ZodError" && typeof top.code === "number" && top.code >= 100 && top.code < 600)
    return { kind: "http", detail: `HTTP ${top.code}${httpHint(top.code)}` };
  if (top.name === "ZodError" || (e as { constructor?: { name?: string } })?.constructor?.name === "ZodError")
    return { kind: "not-mcp", detail: "not an MCP server: it answered JSON that is not a JSON-RPC message" };
  const status = /\(HTTP (\d{3})\)|HTTP (\d{3})/.exec(message);
  if (status) return { kind: "http", detail: `HTTP ${status[1] ?? status[2]}${httpHint(Number(status[1] ?? status[2]))}` };
  const contentType = /Unexpected content type: ([^\s;,]+)/.exec(message);
  if (contentType) return { kind: "not-mcp", detail: `not an MCP server: answered ${contentType[1]} instead of JSON or an event stream` };
  if (/JSON|parse|Unexpected token|jsonrpc|Invalid input/i.test(message))
    return { kind: "not-mcp", detail: `not an MCP server: its answer is not JSON-RPC (${message.slice(0, 80)})` };
  return { kind: "other", detail: message.slice(0, 160) };
}

function httpHint(status: number): string {
  if (status === 401 || status === 403) return " (the endpoint wants credentials)";
  if (status === 404) return " (wrong path? check the server's MCP path)";
  if (status === 429) return " (rate limited by the gateway)";
  if (status === 502 || status === 503 || status === 504) return " (the gateway has no healthy replica behind it)";
  return "";
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
