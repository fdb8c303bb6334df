// What every end-to-end test file uses: the suite's context (or why it cannot run), the engine, the
// containers of a stack as Docker reports them, and the figures the benchmark reads.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { inject, type TestContext } from "vitest";
import type { E2EContext } from "../setup";
import { skipOrFail } from "../../harness/tools";
import { engine, type Engine } from "./engine";
import { E2E_DIR, RUN, type Toolchain } from "./toolchain";

export interface Ready extends Required<Omit<E2EContext, "unavailable">> {
  engine: Engine;
  toolchain: Toolchain;
}

// The suite's context; skips the test (fails it under CI) where the toolchain is missing.
export function ready(ctx: TestContext): Ready {
  const c = inject("e2e");
  skipOrFail(ctx, c.unavailable);
  return { ...(c as Required<Omit<E2EContext, "unavailable">>), engine: engine(RUN, c.engineHost!) };
}

export function tryReady(): Ready | undefined {
  const c = inject("e2e");
  return c.unavailable ? undefined : { ...(c as Required<Omit<E2EContext, "unavailable">>), engine: engine(RUN, c.engineHost!) };
}

// The subset of `docker inspect` the tests read.
export interface Inspected {
  Id: string;
  Name: string;
  RestartCount: number;
  State: { Status: string; ExitCode: number; Health?: { Status: string }; StartedAt: string };
  Config: { User: string; Labels: Record<string, string>; Env: string[]; Image: string; Healthcheck?: { Test: string[] } };
  HostConfig: {
    ReadonlyRootfs: boolean;
    CapDrop: string[] | null;
    CapAdd: string[] | null;
    SecurityOpt: string[] | null;
    Memory: number;
    MemorySwap: number;
    NanoCpus: number;
    LogConfig: { Type: string; Config: Record<string, string> };
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    Privileged: boolean;
    NetworkMode: string;
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]> | null;
    Init: boolean | null;
  };
  Mounts: { Type: string; Name?: string; Destination: string; RW: boolean }[];
  NetworkSettings: { Networks: Record<string, { IPAddress: string; Aliases: string[] | null }> };
}

export async function inspectAll(e: Engine, filters: string[] = []): Promise<Inspected[]> {
  const ids = (await e.docker(["ps", "-aq", ...filters.flatMap((f) => ["--filter", f])])).stdout.split("\n").filter(Boolean);
  if (ids.length === 0) return [];
  return JSON.parse((await e.docker(["inspect", ...ids])).stdout) as Inspected[];
}

export const label = (c: Inspected, key: string) => c.Config.Labels[key];

// Figures for `npm run bench` (bench/README.md): the latest run's, by name.
// The machine's 1-minute load average, noted with each figure (a shared 2-core machine: 2 is fully busy).
export const loadAverage = (): string => os.loadavg()[0]!.toFixed(1);

// The share of CPU time the machine spent idle over `ms` (all CPUs), from the kernel's counters.
async function idleShare(ms: number): Promise<number> {
  const totals = () => os.cpus().reduce((t, c) => ({ idle: t.idle + c.times.idle, all: t.all + Object.values(c.times).reduce((a, b) => a + b, 0) }), { idle: 0, all: 0 });
  const before = totals();
  await new Promise((r) => setTimeout(r, ms));
  const after = totals();
  return after.all > before.all ? (after.idle - before.idle) / (after.all - before.all) : 1;
}

// Waits until the machine is quiet (at least `minIdle` of its CPU time idle over 3 s), or `timeoutMs`
// passed: a benchmark then measures the work it runs, not what the step before it left running.
export async function waitForQuiet(minIdle: number, timeoutMs: number): Promise<{ idle: number; waitedSeconds: number }> {
  const start = Date.now();
  let idle = await idleShare(3000);
  while (idle < minIdle && Date.now() - start < timeoutMs) idle = await idleShare(3000);
  return { idle, waitedSeconds: Math.round((Date.now() - start) / 1000) };
}

export function recordFigure(name: string, value: number, unit: string, note = ""): void {
  const file = path.join(E2E_DIR, "figures.json");
  const figures = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  figures[name] = { value, unit, note, at: new Date().toISOString() };
  fs.writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
}

// Polls `probe` until it gives a value, every intervalMs for up to timeoutMs; a probe that throws is a
// "not yet" (a service still coming up), and the last error is named if time runs out. Returns the value
// and the seconds it took.
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, opts: { timeoutMs: number; intervalMs: number }): Promise<{ value: T; seconds: number }> {
  const started = Date.now();
  let last = "";
  for (;;) {
    const value = await probe().catch((e: Error) => ((last = e.message), undefined));
    if (value !== undefined) return { value, seconds: (Date.now() - started) / 1000 };
    if (Date.now() - started > opts.timeoutMs) throw new Error(`not within ${opts.timeoutMs / 1000} s: ${what}${last ? ` (last: ${last})` : ""}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}
