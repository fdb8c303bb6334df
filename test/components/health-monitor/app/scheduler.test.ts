import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ProbeScheduler } from "../../../../components/health-monitor/app/src/scheduler";

// stop() waits for probes in progress, whose sleeps run on the fake clock.
async function stopped(s: { stop(): Promise<void> }): Promise<void> {
  const p = s.stop();
  await vi.advanceTimersByTimeAsync(5000);
  await p;
}

const targets = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `t${i}` }));

describe("the probe scheduler", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("probes every target once per interval, start times spread over the interval", async () => {
    const runs: [string, number][] = [];
    const s = new ProbeScheduler(targets(4), async (t) => void runs.push([t.name, Date.now()]), { intervalMs: 1000, concurrency: 8 });
    const t0 = Date.now();
    s.start();
    await vi.advanceTimersByTimeAsync(3999);
    await s.stop();
    const by = (name: string) => runs.filter(([n]) => n === name).map(([, at]) => at - t0);
    expect(by("t0")).toEqual([0, 1000, 2000, 3000]);
    expect(by("t1")).toEqual([250, 1250, 2250, 3250]);
    expect(by("t3")).toEqual([750, 1750, 2750, 3750]);
  });

  it("never overlaps two probes of one target: a slow probe delays its next one", async () => {
    let running = 0;
    let maxRunning = 0;
    const starts: number[] = [];
    const s = new ProbeScheduler(
      targets(1),
      async () => {
        starts.push(Date.now());
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 2500));
        running--;
      },
      { intervalMs: 1000, concurrency: 8 },
    );
    const t0 = Date.now();
    s.start();
    await vi.advanceTimersByTimeAsync(6000);
    await stopped(s);
    expect(maxRunning).toBe(1);
    // Each run starts right after the previous one ends (2500 ms; a zero delay is 1 ms), not every 1000 ms.
    expect(starts.map((t) => t - t0)).toEqual([0, 2501, 5002]);
  });

  it("runs at most `concurrency` probes at once across targets", async () => {
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    const s = new ProbeScheduler(
      targets(6),
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 900));
        running--;
        done++;
      },
      { intervalMs: 10, concurrency: 2 },
    );
    s.start();
    await vi.advanceTimersByTimeAsync(5000);
    await stopped(s);
    expect(maxRunning).toBe(2);
    expect(done).toBeGreaterThanOrEqual(6);
  });

  it("keeps going after a probe throws, and stops cleanly", async () => {
    let calls = 0;
    const err = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const s = new ProbeScheduler(
      targets(1),
      async () => {
        calls++;
        throw new Error("boom");
      },
      { intervalMs: 100, concurrency: 1 },
    );
    s.start();
    await vi.advanceTimersByTimeAsync(350);
    await s.stop();
    const after = calls;
    await vi.advanceTimersByTimeAsync(1000);
    expect(after).toBe(4);
    expect(calls).toBe(after);
    expect(err).toHaveBeenCalled();
    err.mockRestore();
  });
});
