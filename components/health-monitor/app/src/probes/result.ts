// What one check of a target found: each request it made, timed.
export interface StepResult {
  // health, initialize, tools/list, connect, handshake...
  step: string;
  ms: number;
  ok: boolean;
}

export interface CheckResult {
  // A short label: "http /health", "mcp 2025-11-25", "bolt", "tcp".
  check: string;
  ok: boolean;
  // The longest single request of the check: what the response-time threshold is held against.
  ms: number;
  // HTTP status, tool count, Bolt version, or the error.
  detail: string;
  steps: StepResult[];
  tools?: number;
  // The revision the server answered initialize with.
  protocolVersion?: string;
}

export const errorMessage = (e: unknown): string => {
  const err = e as { message?: unknown; cause?: { message?: unknown; code?: unknown } };
  const base = typeof err?.message === "string" ? err.message : String(e);
  // fetch hides the socket error (ECONNREFUSED, ENOTFOUND) in its cause.
  const cause = err?.cause && typeof err.cause.message === "string" && base === "fetch failed" ? `: ${err.cause.message}` : "";
  return `${base}${cause}`.split("\n")[0]!.slice(0, 200);
};

export function elapsed(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
