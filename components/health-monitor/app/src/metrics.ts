// Prometheus metrics (text format at /metrics), with prom-client: per target up/down, probe latency
// histogram by request, tool counts, consecutive failures, backup age, alert states, and memory and CPU
// ratios; plus the process's own default metrics.
import * as client from "prom-client";
import type { Alert } from "./alerts";
import type { ProbeResult } from "./probes";
import type { Target } from "./config";

export class Metrics {
  readonly registry = new client.Registry();
  private readonly up: client.Gauge;
  private readonly latency: client.Histogram;
  private readonly tools: client.Gauge;
  private readonly failures: client.Gauge;
  private readonly backupAge: client.Gauge;
  private readonly backupOk: client.Gauge;
  private readonly alertActive: client.Gauge;
  private readonly memory: client.Gauge;
  private readonly cpu: client.Gauge;
  private readonly probes: client.Counter;

  constructor() {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry, prefix: "mcp_monitor_process_" });
    this.up = new client.Gauge({ name: "mcp_monitor_target_up", help: "1 if the target's last probe passed every check, else 0", labelNames: ["target", "service", "kind"], registers });
    this.latency = new client.Histogram({
      name: "mcp_monitor_probe_duration_seconds",
      help: "Duration of each request a probe makes (health, initialize, tools/list, connect, handshake)",
      labelNames: ["target", "service", "step"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.probes = new client.Counter({ name: "mcp_monitor_probes_total", help: "Probes run, by result", labelNames: ["target", "service", "result"], registers });
    this.tools = new client.Gauge({ name: "mcp_monitor_tools", help: "Tools an MCP server listed in its last tools/list, by protocol revision", labelNames: ["target", "service", "protocol_version"], registers });
    this.failures = new client.Gauge({ name: "mcp_monitor_consecutive_failures", help: "Failed probes in a row", labelNames: ["target", "service"], registers });
    this.backupAge = new client.Gauge({ name: "mcp_monitor_backup_age_seconds", help: "Age of the last verified backup (absent until one is known)", registers });
    this.backupOk = new client.Gauge({ name: "mcp_monitor_backup_last_restore_drill_ok", help: "1 if the last restore drill passed, 0 if it failed (absent until one ran)", registers });
    this.alertActive = new client.Gauge({ name: "mcp_monitor_alert_active", help: "1 while an alert is open, 0 once resolved", labelNames: ["type", "target", "service", "severity"], registers });
    this.memory = new client.Gauge({ name: "mcp_monitor_container_memory_ratio", help: "Memory in use / the container's memory limit", labelNames: ["target", "service"], registers });
    this.cpu = new client.Gauge({ name: "mcp_monitor_container_cpu_ratio", help: "CPU time used / the CPU time the container's quota allows", labelNames: ["target", "service"], registers });
  }

  probe(t: Target, r: ProbeResult, consecutiveFailures: number): void {
    const l = { target: t.name, service: t.service };
    this.up.set({ ...l, kind: t.kind }, r.ok ? 1 : 0);
    this.probes.inc({ ...l, result: r.ok ? "ok" : "fail" });
    this.failures.set(l, consecutiveFailures);
    for (const c of r.checks) {
      for (const s of c.steps) this.latency.observe({ ...l, step: s.step }, s.ms / 1000);
      if (c.tools !== undefined && c.check.startsWith("mcp ")) this.tools.set({ ...l, protocol_version: c.check.slice(4) }, c.tools);
    }
  }

  resources(t: Target, memoryRatio?: number, cpuRatio?: number): void {
    const l = { target: t.name, service: t.service };
    if (memoryRatio !== undefined) this.memory.set(l, memoryRatio);
    if (cpuRatio !== undefined) this.cpu.set(l, cpuRatio);
  }

  backup(ageSeconds: number | null, drillOk: boolean | undefined): void {
    if (ageSeconds === null) this.backupAge.reset();
    else this.backupAge.set(ageSeconds);
    if (drillOk === undefined) this.backupOk.reset();
    else this.backupOk.set(drillOk ? 1 : 0);
  }

  alert(a: Alert): void {
    this.alertActive.set({ type: a.type, target: a.target, service: a.service, severity: a.severity }, a.resolved ? 0 : 1);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
