// The monitor: probes every target on the scheduler, keeps counts, history and alerts, reads the backup
// status and the containers' cgroups, delivers alerts, and tells listeners (the WebSocket) what changed.
import { EventEmitter } from "events";
import * as fs from "fs";
import { AlertBook, type Alert } from "./alerts";
import { BACKUP_TARGET, evaluateBackup, type BackupView } from "./backup-status";
import { readSecretFile, type MonitorConfig, type Target, type TargetKind } from "./config";
import { Metrics } from "./metrics";
import { Notifier, webhookSender, type Send } from "./notifier";
import { probeTarget, type ProbeResult } from "./probes";
import type { CheckResult } from "./probes/result";
import { CgroupReader, resourceRatios, type CgroupSample } from "./resources";
import { ProbeScheduler } from "./scheduler";
import { History, loadState, saveState, type HistoryEntry } from "./state";
import { emptyCounts, errorRate, recordProbe, recordResources, targetConditions, type TargetCounts } from "./thresholds";

export type Status = "healthy" | "degraded" | "unhealthy" | "unknown";

export interface TargetHealth {
  name: string;
  kind: TargetKind;
  status: Status;
  lastCheck: string | null;
  responseTime: number | null;
  errorRate: number | null;
  consecutiveFailures: number;
  error?: string;
  tools?: number;
  checks: CheckResult[];
  memoryRatio?: number;
  cpuRatio?: number;
  resourcesError?: string;
}

export interface ServiceHealth {
  service: string;
  kind: "mcp-server" | "neo4j" | "data-service" | "gateway" | "backup";
  status: Status;
  // The newest check of any of its targets.
  timestamp: string | null;
  responseTime: number | null;
  errorRate: number | null;
  error?: string;
  replicas: number;
  healthyReplicas: number;
  targets: TargetHealth[];
  backup?: BackupView;
}

export interface Overall {
  overall: "healthy" | "degraded" | "unhealthy";
  timestamp: string;
  services: Record<string, ServiceHealth>;
  totalServices: number;
  healthyServices: number;
  degradedServices: number;
  unhealthyServices: number;
  unknownServices: number;
  activeAlerts: number;
  backup: BackupView | null;
}

export interface MonitorDeps {
  now?: () => number;
  probe?: (t: Target, timeoutMs: number) => Promise<ProbeResult>;
  readFile?: (file: string) => string;
  send?: Send;
  cgroup?: CgroupReader;
}

interface Last {
  result: ProbeResult;
  status: Status;
  cgroup?: CgroupSample;
  resourcesError?: string;
}

const serviceKind = (t: Target): ServiceHealth["kind"] =>
  t.kind === "mcp-replica" || t.kind === "gateway-route" ? "mcp-server" : t.kind === "neo4j" ? "neo4j" : t.kind === "data-service" ? "data-service" : "gateway";

export class Monitor extends EventEmitter {
  readonly metrics = new Metrics();
  readonly startedAt: Date;
  private readonly counts = new Map<string, TargetCounts>();
  private readonly last = new Map<string, Last>();
  private readonly history: History;
  private readonly alerts: AlertBook;
  private readonly notifier: Notifier;
  private readonly scheduler: ProbeScheduler<Target>;
  private readonly now: () => number;
  private readonly probe: (t: Target, timeoutMs: number) => Promise<ProbeResult>;
  private readonly readFile: (file: string) => string;
  private readonly cgroup?: CgroupReader;
  private backupView: BackupView | null = null;
  private timers: NodeJS.Timeout[] = [];
  private dirty = false;
  private broadcastTimer?: NodeJS.Timeout;

  constructor(
    readonly config: MonitorConfig,
    deps: MonitorDeps = {},
  ) {
    super();
    this.now = deps.now ?? Date.now;
    this.startedAt = new Date(this.now());
    this.probe = deps.probe ?? ((t, ms) => probeTarget(t, ms, this.now));
    this.readFile = deps.readFile ?? ((f) => fs.readFileSync(f, "utf8"));
    this.cgroup = deps.cgroup ?? (config.resources ? new CgroupReader(config.resources.cgroupRoot) : undefined);
    const saved = loadState(config.history.file);
    const names = new Set(config.targets.map((t) => t.name));
    this.history = new History(config.history.perTarget, saved?.history);
    this.history.retain(names);
    for (const [k, v] of Object.entries(saved?.counts ?? {})) if (names.has(k)) this.counts.set(k, v);
    this.alerts = new AlertBook(config.history.resolvedAlerts, saved?.alerts);
    // Alerts of targets the stack no longer has are resolved (the backup is a scope of its own).
    this.alerts.retain(new Set([...names, ...(config.backup ? [BACKUP_TARGET] : [])]), new Date(this.now()));
    for (const a of this.alerts.all()) this.metrics.alert(a);
    const file = config.alerts.webhookUrlFile;
    const send = deps.send ?? (file ? webhookSender(() => readSecretFile(file)!) : undefined);
    this.notifier = new Notifier(send, config.alerts.resendIntervalMinutes * 60_000);
    this.scheduler = new ProbeScheduler(config.targets, (t) => this.probeOnce(t), {
      intervalMs: config.intervalSeconds * 1000,
      concurrency: config.concurrency,
    });
  }

  start(): void {
    this.scheduler.start();
    const every = (ms: number, f: () => void) => this.timers.push(setInterval(f, ms));
    if (this.config.backup) {
      this.checkBackup();
      every(this.config.intervalSeconds * 1000, () => this.checkBackup());
    }
    // Resends and retries come due between checks.
    every(10_000, () => void this.notify());
    if (this.config.history.file) every(15_000, () => this.save());
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    clearTimeout(this.broadcastTimer);
    await this.scheduler.stop();
    this.save(true);
  }

  save(force = false): void {
    const file = this.config.history.file;
    if (!file || (!this.dirty && !force)) return;
    try {
      saveState(file, {
        version: 1,
        savedAt: new Date(this.now()).toISOString(),
        history: this.history.toJSON(),
        counts: Object.fromEntries(this.counts),
        alerts: this.alerts.all(),
      });
      this.dirty = false;
    } catch (e) {
      console.error(JSON.stringify({ level: "error", msg: "could not save history", file, error: (e as Error).message }));
    }
  }

  async probeOnce(t: Target): Promise<void> {
    const th = this.config.alertThresholds;
    const result = await this.probe(t, this.config.probeTimeoutMs);
    let counts = recordProbe(this.counts.get(t.name) ?? emptyCounts(), result, th);
    const status: HistoryEntry["status"] = !result.ok ? "unhealthy" : result.responseTimeMs > th.response_time ? "degraded" : "healthy";
    const last: Last = { result, status, cgroup: this.last.get(t.name)?.cgroup };
    if (t.containerId && this.cgroup) {
      try {
        const sample = this.cgroup.sample(t.containerId, this.now());
        counts = recordResources(counts, resourceRatios(last.cgroup, sample), th);
        last.cgroup = sample;
        this.metrics.resources(t, counts.memoryRatio, counts.cpuRatio);
      } catch (e) {
        last.resourcesError = (e as Error).message;
      }
    }
    this.counts.set(t.name, counts);
    this.last.set(t.name, last);
    this.history.add({
      timestamp: new Date(result.at).toISOString(),
      target: t.name,
      status,
      responseTime: result.responseTimeMs,
      error: result.error,
      tools: result.tools,
      checks: result.checks.map(({ check, ok, ms, detail }) => ({ check, ok, ms, detail })),
    });
    this.metrics.probe(t, result, counts.consecutiveFailures);
    this.apply(t.name, targetConditions(t, counts, th));
    this.dirty = true;
    this.scheduleBroadcast();
  }

  checkBackup(): void {
    const b = this.config.backup;
    if (!b) return;
    const { view, conditions } = evaluateBackup({ ...b, startedAt: this.startedAt }, () => this.readFile(b.statusFile), new Date(this.now()));
    this.backupView = view;
    this.metrics.backup(view.ageSeconds, view.lastRestoreDrill?.ok);
    this.apply(BACKUP_TARGET, conditions);
    this.scheduleBroadcast();
  }

  private apply(scope: string, conditions: Parameters<AlertBook["update"]>[1]): void {
    const changes = this.alerts.update(scope, conditions, new Date(this.now()));
    for (const a of [...changes.raised, ...changes.resolved]) {
      this.metrics.alert(a);
      this.dirty = true;
      console.log(JSON.stringify({ level: a.resolved ? "info" : "warn", msg: a.resolved ? "alert resolved" : "alert raised", type: a.type, target: a.target, message: a.message }));
      this.emit("alert", a);
    }
    if (changes.raised.length || changes.resolved.length) void this.notify();
  }

  async notify(): Promise<void> {
    await this.notifier.flush(this.alerts, new Date(this.now()));
  }

  get delivery(): { sent: number; failures: number } {
    return { sent: this.notifier.sent, failures: this.notifier.failures };
  }

  private scheduleBroadcast(): void {
    if (this.broadcastTimer) return;
    // Several targets finishing together make one update.
    this.broadcastTimer = setTimeout(() => {
      this.broadcastTimer = undefined;
      this.emit("update", this.overall());
    }, 100);
  }

  targetHealth(t: Target): TargetHealth {
    const c = this.counts.get(t.name) ?? emptyCounts();
    const l = this.last.get(t.name);
    const rate = errorRate(c, this.config.alertThresholds) ?? (c.recent.length ? c.recent.filter((ok) => !ok).length / c.recent.length : null);
    return {
      name: t.name,
      kind: t.kind,
      status: l?.status ?? "unknown",
      lastCheck: l ? new Date(l.result.at).toISOString() : null,
      responseTime: l ? l.result.responseTimeMs : null,
      errorRate: rate,
      consecutiveFailures: c.consecutiveFailures,
      error: l?.result.error,
      tools: l?.result.tools,
      checks: l?.result.checks ?? [],
      memoryRatio: c.memoryRatio,
      cpuRatio: c.cpuRatio,
      resourcesError: l?.resourcesError,
    };
  }

  serviceNames(): string[] {
    const names = [...new Set(this.config.targets.map((t) => t.service))];
    return this.config.backup ? [...names, BACKUP_TARGET] : names;
  }

  // A service by its name, one of its targets' names, or the runbook's name for it (gmail-mcp-server).
  resolveService(name: string): string | undefined {
    const names = this.serviceNames();
    if (names.includes(name)) return name;
    const byTarget = this.config.targets.find((t) => t.name === name)?.service;
    if (byTarget) return byTarget;
    const m = /^(.+)-mcp-server$/.exec(name);
    return m && names.includes(m[1]!) ? m[1] : undefined;
  }

  service(name: string): ServiceHealth | undefined {
    if (name === BACKUP_TARGET && this.config.backup) {
      const v = this.backupView;
      return {
        service: BACKUP_TARGET,
        kind: "backup",
        status: v?.status ?? "unknown",
        timestamp: v?.checkedAt ?? null,
        responseTime: null,
        errorRate: null,
        error: v?.error,
        replicas: 0,
        healthyReplicas: 0,
        targets: [],
        backup: v ?? undefined,
      };
    }
    const targets = this.config.targets.filter((t) => t.service === name);
    if (!targets.length) return undefined;
    const th = targets.map((t) => this.targetHealth(t));
    const replicas = th.filter((t) => t.kind === "mcp-replica");
    const route = th.filter((t) => t.kind === "gateway-route");
    const known = th.filter((t) => t.status !== "unknown");
    let status: Status;
    if (!known.length) status = "unknown";
    else if (
      route.some((t) => t.status === "unhealthy") ||
      (replicas.length > 0 && replicas.every((t) => t.status === "unhealthy")) ||
      (replicas.length === 0 && known.every((t) => t.status === "unhealthy"))
    )
      status = "unhealthy";
    else if (known.some((t) => t.status !== "healthy") || known.length < th.length) status = "degraded";
    else status = "healthy";
    const times = th.map((t) => t.lastCheck).filter((x): x is string => x !== null);
    const rates = th.map((t) => t.errorRate).filter((x): x is number => x !== null);
    const latencies = th.map((t) => t.responseTime).filter((x): x is number => x !== null);
    return {
      service: name,
      kind: serviceKind(targets[0]!),
      status,
      timestamp: times.length ? times.sort().at(-1)! : null,
      responseTime: latencies.length ? Math.max(...latencies) : null,
      errorRate: rates.length ? Math.max(...rates) : null,
      error: th.find((t) => t.error)?.error,
      replicas: replicas.length,
      healthyReplicas: replicas.filter((t) => t.status === "healthy" || t.status === "degraded").length,
      targets: th,
    };
  }

  overall(): Overall {
    const services: Record<string, ServiceHealth> = {};
    for (const n of this.serviceNames()) services[n] = this.service(n)!;
    const list = Object.values(services);
    const count = (s: Status) => list.filter((x) => x.status === s).length;
    const unhealthy = count("unhealthy");
    return {
      overall: unhealthy ? "unhealthy" : count("degraded") || count("unknown") ? "degraded" : "healthy",
      timestamp: new Date(this.now()).toISOString(),
      services,
      totalServices: list.length,
      healthyServices: count("healthy"),
      degradedServices: count("degraded"),
      unhealthyServices: unhealthy,
      unknownServices: count("unknown"),
      activeAlerts: this.alerts.active().length,
      backup: this.backupView,
    };
  }

  historyOf(name: string, limit?: number): HistoryEntry[] | undefined {
    if (this.config.targets.some((t) => t.name === name)) return this.history.of([name], limit);
    const service = this.resolveService(name);
    if (!service || service === BACKUP_TARGET) return undefined;
    return this.history.of(
      this.config.targets.filter((t) => t.service === service).map((t) => t.name),
      limit,
    );
  }

  alertList(filter: { service?: string; resolved?: boolean }): Alert[] {
    const service = filter.service === undefined ? undefined : (this.resolveService(filter.service) ?? filter.service);
    return this.alerts.query({ ...filter, service });
  }

  activeAlerts(): Alert[] {
    return this.alerts.active();
  }
}
