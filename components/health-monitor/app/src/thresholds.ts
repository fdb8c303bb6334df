// Threshold logic, pure: each target's running counts, updated by each probe and resource sample, and
// the alert conditions they amount to under the runbook's thresholds. Alerts (alerts.ts) are raised
// and resolved from these conditions.
import type { Target, Thresholds } from "./config";

export const ALERT_TYPES = [
  "service_down",
  "high_response_time",
  "error_rate_spike",
  "resource_exhaustion",
  "dependency_failure",
  "backup_stale",
  "restore_drill_failed",
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];
export type Severity = "critical" | "high" | "medium";

export interface Condition {
  // One open alert per key: `${type}:${target}` (and the resource, for resource_exhaustion).
  key: string;
  type: AlertType;
  target: string;
  service: string;
  severity: Severity;
  message: string;
}

export interface TargetCounts {
  // ok flags of the last error_rate_window probes, oldest first.
  recent: boolean[];
  consecutiveFailures: number;
  // Successful probes in a row slower than the response-time threshold (failures leave it as it is).
  consecutiveSlow: number;
  consecutiveHighMemory: number;
  consecutiveHighCpu: number;
  lastError?: string;
  lastResponseMs?: number;
  memoryRatio?: number;
  cpuRatio?: number;
}

export const emptyCounts = (): TargetCounts => ({ recent: [], consecutiveFailures: 0, consecutiveSlow: 0, consecutiveHighMemory: 0, consecutiveHighCpu: 0 });

export interface ProbeOutcome {
  ok: boolean;
  responseTimeMs: number;
  error?: string;
}

export function recordProbe(c: TargetCounts, o: ProbeOutcome, t: Thresholds): TargetCounts {
  const recent = [...c.recent, o.ok].slice(-t.error_rate_window);
  return {
    ...c,
    recent,
    consecutiveFailures: o.ok ? 0 : c.consecutiveFailures + 1,
    consecutiveSlow: !o.ok ? c.consecutiveSlow : o.responseTimeMs > t.response_time ? c.consecutiveSlow + 1 : 0,
    lastError: o.ok ? undefined : o.error,
    lastResponseMs: o.responseTimeMs,
  };
}

export interface ResourceSample {
  // Used memory / the container's memory limit.
  memoryRatio?: number;
  // CPU time used / the CPU time its quota allows, over the last interval.
  cpuRatio?: number;
}

export function recordResources(c: TargetCounts, s: ResourceSample, t: Thresholds): TargetCounts {
  return {
    ...c,
    memoryRatio: s.memoryRatio,
    cpuRatio: s.cpuRatio,
    consecutiveHighMemory: s.memoryRatio !== undefined && s.memoryRatio > t.memory_usage ? c.consecutiveHighMemory + 1 : 0,
    consecutiveHighCpu: s.cpuRatio !== undefined && s.cpuRatio > t.cpu_usage ? c.consecutiveHighCpu + 1 : 0,
  };
}

// Failures over the window, once the window is full (a single early failure is not a rate).
export function errorRate(c: TargetCounts, t: Thresholds): number | undefined {
  if (c.recent.length < t.error_rate_window) return undefined;
  return c.recent.filter((ok) => !ok).length / c.recent.length;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

export function targetConditions(target: Pick<Target, "name" | "service" | "role">, c: TargetCounts, t: Thresholds): Condition[] {
  const out: Condition[] = [];
  const base = { target: target.name, service: target.service };
  const n = t.consecutive_failures;
  const down = c.consecutiveFailures >= n;
  if (down) {
    const type: AlertType = target.role === "service" ? "service_down" : "dependency_failure";
    out.push({
      ...base,
      key: `${type}:${target.name}`,
      type,
      severity: "critical",
      message: `${target.name} failed ${c.consecutiveFailures} checks in a row (threshold ${n}): ${c.lastError ?? "unknown error"}`,
    });
  }
  if (c.consecutiveSlow >= n)
    out.push({
      ...base,
      key: `high_response_time:${target.name}`,
      type: "high_response_time",
      severity: "medium",
      message: `${target.name} answered in ${c.lastResponseMs} ms, over ${t.response_time} ms for ${c.consecutiveSlow} checks in a row`,
    });
  // A target that is down already has its alert; the rate would only repeat it.
  const rate = errorRate(c, t);
  if (!down && rate !== undefined && rate > t.error_rate)
    out.push({
      ...base,
      key: `error_rate_spike:${target.name}`,
      type: "error_rate_spike",
      severity: "high",
      message: `${target.name} failed ${pct(rate)} of its last ${c.recent.length} checks (threshold ${pct(t.error_rate)})`,
    });
  if (c.consecutiveHighMemory >= n && c.memoryRatio !== undefined)
    out.push({
      ...base,
      key: `resource_exhaustion:memory:${target.name}`,
      type: "resource_exhaustion",
      severity: "high",
      message: `${target.name} uses ${pct(c.memoryRatio)} of its memory limit (threshold ${pct(t.memory_usage)})`,
    });
  if (c.consecutiveHighCpu >= n && c.cpuRatio !== undefined)
    out.push({
      ...base,
      key: `resource_exhaustion:cpu:${target.name}`,
      type: "resource_exhaustion",
      severity: "high",
      message: `${target.name} uses ${pct(c.cpuRatio)} of its CPU limit (threshold ${pct(t.cpu_usage)})`,
    });
  return out;
}
