// The probe scheduler: each target is probed every interval, the targets' start times spread over the
// interval (so a fleet is not probed in one burst), at most `concurrency` probes at once, and never two
// probes of one target at a time: a probe that outlasts the interval delays that target's next one
// instead of piling up behind it.
export interface SchedulerOptions {
  intervalMs: number;
  concurrency: number;
}

export class ProbeScheduler<T extends { name: string }> {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  private stopped = true;

  constructor(
    private readonly targets: T[],
    private readonly run: (target: T) => Promise<void>,
    private readonly opts: SchedulerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const n = this.targets.length;
    this.targets.forEach((t, i) => this.schedule(t, Math.floor((i * this.opts.intervalMs) / Math.max(n, 1))));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    // Waiting probes are released so they can see the scheduler stopped.
    while (this.waiting.length) this.waiting.shift()!();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  // Probes in progress, by target.
  busy(): string[] {
    return [...this.inFlight.keys()];
  }

  private schedule(t: T, delayMs: number): void {
    if (this.stopped) return;
    this.timers.set(
      t.name,
      setTimeout(() => {
        this.timers.delete(t.name);
        const p = this.probe(t).finally(() => this.inFlight.delete(t.name));
        this.inFlight.set(t.name, p);
      }, delayMs),
    );
  }

  private async probe(t: T): Promise<void> {
    await this.slot();
    if (this.stopped) return this.release();
    const started = this.now();
    try {
      await this.run(t);
    } catch (e) {
      // run() reports its own failures; a throw here is a bug, logged so the loop keeps going.
      console.error(JSON.stringify({ level: "error", msg: "probe crashed", target: t.name, error: (e as Error).message }));
    } finally {
      this.release();
    }
    this.schedule(t, Math.max(0, started + this.opts.intervalMs - this.now()));
  }

  private slot(): Promise<void> {
    if (this.running < this.opts.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.running++;
        resolve();
      }),
    );
  }

  private release(): void {
    this.running--;
    const next = this.waiting.shift();
    if (next) next();
  }
}
