// One probe of a target: each of its checks in turn.
import type { Check, Target } from "../config";
import { probeHttp } from "./http";
import { probeMcp } from "./mcp";
import type { CheckResult } from "./result";
import { probeBolt, probeTcp } from "./tcp";

export type { CheckResult, StepResult } from "./result";

export interface ProbeResult {
  target: string;
  // ms since the epoch, when the probe started.
  at: number;
  ok: boolean;
  // The longest single request among the checks (ms).
  responseTimeMs: number;
  checks: CheckResult[];
  // The first failing check's detail.
  error?: string;
  tools?: number;
}

export async function runCheck(c: Check, timeoutMs: number): Promise<CheckResult[]> {
  switch (c.type) {
    case "http":
      return [await probeHttp(c, timeoutMs)];
    case "mcp":
      return probeMcp(c, timeoutMs);
    case "bolt":
      return [await probeBolt(c, timeoutMs)];
    case "tcp":
      return [await probeTcp(c, timeoutMs)];
  }
}

export async function probeTarget(t: Target, timeoutMs: number, now: () => number = Date.now): Promise<ProbeResult> {
  const at = now();
  const checks: CheckResult[] = [];
  for (const c of t.checks) checks.push(...(await runCheck(c, timeoutMs)));
  const failed = checks.find((c) => !c.ok);
  const tools = checks.find((c) => c.tools !== undefined)?.tools;
  return {
    target: t.name,
    at,
    ok: !failed,
    responseTimeMs: Math.max(0, ...checks.map((c) => c.ms)),
    checks,
    error: failed ? `${failed.check}: ${failed.detail}` : undefined,
    tools,
  };
}
