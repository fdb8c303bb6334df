import { describe, expect, it } from "vitest";
import { AlertBook } from "../../../../components/health-monitor/app/src/alerts";
import type { Thresholds } from "../../../../components/health-monitor/app/src/config";
import {
  emptyCounts,
  errorRate,
  recordProbe,
  recordResources,
  targetConditions,
  type TargetCounts,
} from "../../../../components/health-monitor/app/src/thresholds";

const th: Thresholds = { response_time: 5000, error_rate: 0.1, consecutive_failures: 3, memory_usage: 0.9, cpu_usage: 0.8, error_rate_window: 10 };
const replica = { name: "gmail-1", service: "gmail", role: "service" as const };
const neo4j = { name: "neo4j", service: "neo4j", role: "dependency" as const };

function run(outcomes: ({ ok: boolean; ms?: number } | boolean)[], start: TargetCounts = emptyCounts()): TargetCounts {
  return outcomes.reduce<TargetCounts>((c, o) => {
    const x = typeof o === "boolean" ? { ok: o } : o;
    return recordProbe(c, { ok: x.ok, responseTimeMs: x.ms ?? 10, error: x.ok ? undefined : "HTTP 503" }, th);
  }, start);
}
const types = (c: TargetCounts, t: { name: string; service: string; role: "service" | "dependency" } = replica) => targetConditions(t, c, th).map((x) => x.type);

describe("threshold logic", () => {
  it("raises service_down only after consecutive_failures failures in a row", () => {
    expect(types(run([false, false]))).toEqual([]);
    const c = run([false, false, false]);
    expect(types(c)).toEqual(["service_down"]);
    expect(targetConditions(replica, c, th)[0]!.message).toMatch(/gmail-1 failed 3 checks in a row \(threshold 3\): HTTP 503/);
  });

  it("counts failures in a row: a success in between starts the count again", () => {
    expect(types(run([false, false, true, false, false]))).toEqual([]);
    expect(run([false, false, true, false, false]).consecutiveFailures).toBe(2);
  });

  it("calls a dependency's failure dependency_failure", () => {
    expect(types(run([false, false, false]), neo4j)).toEqual(["dependency_failure"]);
  });

  it("raises high_response_time for consecutive slow successes, and a fast answer resolves it", () => {
    const slow = run([{ ok: true, ms: 6000 }, { ok: true, ms: 7000 }, { ok: true, ms: 5001 }]);
    expect(types(slow)).toEqual(["high_response_time"]);
    expect(types(run([{ ok: true, ms: 10 }], slow))).toEqual([]);
    // Exactly at the threshold is not over it.
    expect(types(run([{ ok: true, ms: 5000 }, { ok: true, ms: 5000 }, { ok: true, ms: 5000 }]))).toEqual([]);
  });

  it("takes the error rate over a full window only, and raises error_rate_spike above the threshold", () => {
    expect(errorRate(run([false, true, true]), th)).toBeUndefined();
    // 1 failure in 10: exactly 10%, not above it.
    const one = run([false, ...Array(9).fill(true)]);
    expect(errorRate(one, th)).toBe(0.1);
    expect(types(one)).toEqual([]);
    const two = run([false, true, true, false, ...Array(6).fill(true)]);
    expect(errorRate(two, th)).toBe(0.2);
    expect(types(two)).toEqual(["error_rate_spike"]);
    // The window slides: ten more successes and the rate is back to 0.
    expect(types(run(Array(10).fill(true), two))).toEqual([]);
  });

  it("does not repeat a down target as an error-rate spike", () => {
    const c = run([...Array(7).fill(true), false, false, false]);
    expect(errorRate(c, th)).toBeCloseTo(0.3);
    expect(types(c)).toEqual(["service_down"]);
  });

  it("raises resource_exhaustion after consecutive high memory or CPU samples", () => {
    let c = emptyCounts();
    for (let i = 0; i < 3; i++) c = recordResources(c, { memoryRatio: 0.95, cpuRatio: 0.5 }, th);
    expect(targetConditions(replica, c, th).map((x) => x.key)).toEqual(["resource_exhaustion:memory:gmail-1"]);
    for (let i = 0; i < 3; i++) c = recordResources(c, { memoryRatio: 0.95, cpuRatio: 0.85 }, th);
    expect(targetConditions(replica, c, th).map((x) => x.key)).toEqual(["resource_exhaustion:memory:gmail-1", "resource_exhaustion:cpu:gmail-1"]);
    c = recordResources(c, { memoryRatio: 0.5, cpuRatio: 0.85 }, th);
    expect(targetConditions(replica, c, th).map((x) => x.key)).toEqual(["resource_exhaustion:cpu:gmail-1"]);
  });
});

describe("alert raising and resolution", () => {
  const t0 = new Date("2026-12-01T10:00:00Z");
  const later = (s: number) => new Date(t0.getTime() + s * 1000);

  it("raises one alert per condition, keeps it open while the condition holds, resolves it with a timestamp", () => {
    const book = new AlertBook(100);
    const down = targetConditions(replica, run([false, false, false]), th);
    const first = book.update("gmail-1", down, t0);
    expect(first.raised).toHaveLength(1);
    expect(first.raised[0]).toMatchObject({ type: "service_down", target: "gmail-1", service: "gmail", resolved: false, timestamp: t0.toISOString() });
    // The same condition on the next checks: no new alert.
    expect(book.update("gmail-1", down, later(30))).toEqual({ raised: [], resolved: [] });
    expect(book.active()).toHaveLength(1);
    const gone = book.update("gmail-1", [], later(60));
    expect(gone.resolved).toHaveLength(1);
    expect(gone.resolved[0]).toMatchObject({ resolved: true, resolvedAt: later(60).toISOString(), timestamp: t0.toISOString() });
    expect(book.active()).toHaveLength(0);
    expect(book.query({ resolved: true })).toHaveLength(1);
  });

  it("leaves other targets' alerts alone when one target is evaluated", () => {
    const book = new AlertBook(100);
    book.update("gmail-1", targetConditions(replica, run([false, false, false]), th), t0);
    book.update("neo4j", [], later(1));
    expect(book.active().map((a) => a.target)).toEqual(["gmail-1"]);
  });

  it("raises a new alert when a resolved condition comes back, and keeps a bounded number of resolved alerts", () => {
    const book = new AlertBook(2);
    const down = targetConditions(replica, run([false, false, false]), th);
    for (let i = 0; i < 4; i++) {
      book.update("gmail-1", down, later(i * 10));
      book.update("gmail-1", [], later(i * 10 + 5));
    }
    expect(book.query({ resolved: true })).toHaveLength(2);
    expect(new Set(book.all().map((a) => a.id)).size).toBe(2);
  });

  it("resolves the alerts of targets the stack no longer has", () => {
    const book = new AlertBook(10);
    book.update("gmail-1", targetConditions(replica, run([false, false, false]), th), t0);
    const gone = book.retain(new Set(["neo4j"]), later(5));
    expect(gone.map((a) => a.target)).toEqual(["gmail-1"]);
    expect(book.active()).toEqual([]);
  });

  it("starts from saved alerts: open ones stay open", () => {
    const book = new AlertBook(10);
    book.update("gmail-1", targetConditions(replica, run([false, false, false]), th), t0);
    const restored = new AlertBook(10, JSON.parse(JSON.stringify(book.all())));
    expect(restored.update("gmail-1", targetConditions(replica, run([false, false, false]), th), later(30)).raised).toEqual([]);
    expect(restored.active()).toHaveLength(1);
  });
});
