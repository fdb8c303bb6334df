import type { PolicyResource, ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import { Reader, UNKNOWN, stackPolicy } from "../lib/check";
import { withDefaults } from "../lib/config";
// The same schedule arithmetic the config check uses (one implementation, tested against cron-parser).
import { cronProblem, longestGapMinutes } from "../../components/backup/schedule";
import { runbook } from "../lib/meta";
import { byComponent, stackWorkloads, type StackWorkload } from "../lib/stack";
import { VOLUME, env, envParts, field, labels, list, mounts, text, workloadOf } from "../lib/workload";

export const BACKUP_LABEL = "dev.mcp-platform.backup";

interface Config {
  // The stack's recovery point objective; the backup container's own BACKUP_RPO_MINUTES may only be stricter.
  rpoMinutes?: number;
  // Components whose writable volumes are not state to back up (one-shot jobs write only ownership).
  oneShotComponents: string[];
}

interface Schedule {
  name: string;
  cron: string;
}

// Stateful volumes: docker.Volumes labelled for backup (host mode), and named volumes that a long-running
// workload writes (on a Swarm, Docker creates them on first mount and Pulumi declares no Volume to label).
function statefulVolumes(resources: PolicyResource[], workloads: StackWorkload[], read: Reader["read"], oneShot: string[]): { name: string; urn: string }[] {
  const out = new Map<string, string>();
  for (const r of resources.filter((x) => x.type === VOLUME)) {
    const v = read(`volume ${r.name}`, () => ({
      name: text(r.props.name),
      backup: list(r.props.labels).some((l) => text(field(l, "label")) === BACKUP_LABEL && text(field(l, "value")) === "true"),
    }));
    if (v !== UNKNOWN && v.backup) out.set(v.name ?? r.name, r.urn);
  }
  for (const w of workloads) {
    if ([...oneShot, "backup"].includes(w.labels.component ?? "")) continue;
    const ms = read(`mounts of ${w.resource.name}`, () => mounts(w.workload));
    if (ms === UNKNOWN) continue;
    for (const m of ms) if (m.type === "volume" && m.source && !m.readOnly && !out.has(m.source)) out.set(m.source, w.resource.urn);
  }
  return [...out].map(([name, urn]) => ({ name, urn }));
}

const DEFAULTS: Config = { oneShotComponents: ["volume-init"] };

const rule = stackPolicy<Config>({
  name: "backup-covers-stateful-volumes",
  description: "The backup container mounts every stateful volume read-only, and its schedules leave no gap longer than the RPO.",
  severity: "high",
  framework: runbook("Backup and Recovery: automated backups; RTO 4 h / RPO 1 h"),
  remediationSteps:
    "Mount each volume labelled dev.mcp-platform.backup=true read-only in the backup container (component backup), and give it BACKUP_SCHEDULES whose crons run at least every RPO (BACKUP_RPO_MINUTES, backup.rpoMinutes).",
  configSchema: {
    rpoMinutes: { type: "integer", minimum: 1, description: "Largest RPO this environment accepts (prod: 60, the runbook's)." },
    oneShotComponents: { type: "array", items: { type: "string" } },
  },
  defaults: DEFAULTS,
  // Coverage needs the whole stack: which volumes hold state, which the backup mounts.
  check(args, { config, read, report }) {
    const workloads = stackWorkloads(args.resources, read);
    const volumes = statefulVolumes(args.resources, workloads, read, config.oneShotComponents);
    if (volumes.length === 0) return args.notApplicable("no stateful volume in this stack (no volume labelled dev.mcp-platform.backup=true, none written by a service)");
    const backups = byComponent(workloads, "backup");
    if (backups.length === 0) {
      report(`This stack has no backup container (component backup), so ${volumes.map((v) => v.name).join(", ")} are not backed up. Enable backups: backup.enabled true (the default).`);
      return;
    }
    const covered = new Set<string>();
    for (const b of backups) {
      const ms = read(`mounts of ${b.resource.name}`, () => mounts(b.workload));
      if (ms !== UNKNOWN) for (const m of ms) if (m.type === "volume" && m.readOnly && m.source) covered.add(m.source);
    }
    for (const v of volumes)
      if (!covered.has(v.name))
        report(`Stateful volume ${v.name} is not mounted read-only in the backup container, so it is not backed up. Mount it read-only in the backup container.`, v.urn);
  },
});

// The schedule is the backup container's own: judged on its declared inputs, where the plain entries
// BACKUP_RPO_MINUTES and BACKUP_SCHEDULES are known before apply even when a generated password beside
// them is not (the stack's planned outputs hold such an env list as unknown whole).
function validateSchedules(args: ResourceValidationArgs, report: ReportViolation): void {
  const workload = workloadOf(args.type, args.props);
  if (!workload) return;
  const reader = new Reader();
  const l = reader.read("labels", () => labels(workload));
  if (l === UNKNOWN) return reader.finish();
  if (l.component !== "backup") return;
  const config = withDefaults(DEFAULTS, args.getConfig<Partial<Config>>());
  const parts = reader.read("env", () => envParts(workload));
  if (parts === UNKNOWN) return reader.finish();
  const e = Object.fromEntries(parts.known);
  // A setting not among the known entries may be one of the unknown ones: then it is not checked.
  if (parts.unknown && (e.BACKUP_SCHEDULES === undefined || (e.BACKUP_RPO_MINUTES === undefined && config.rpoMinutes === undefined))) {
    reader.read(`BACKUP_SCHEDULES of ${args.name}`, () => env(workload));
    return reader.finish();
  }
  const declared = Number(e.BACKUP_RPO_MINUTES);
  const rpo = Math.min(...[config.rpoMinutes, Number.isFinite(declared) && declared > 0 ? declared : undefined].filter((x): x is number => x !== undefined));
  if (!Number.isFinite(rpo)) {
    report(`The backup container declares no BACKUP_RPO_MINUTES and the policy config no rpoMinutes, so its schedule can't be held to an RPO. Set backup.rpoMinutes.`);
    return;
  }
  let schedules: Schedule[] = [];
  try {
    const parsed: unknown = JSON.parse(e.BACKUP_SCHEDULES ?? "");
    schedules = (Array.isArray(parsed) ? parsed : []).filter((s): s is Schedule => typeof s?.cron === "string");
  } catch {
    schedules = [];
  }
  if (schedules.length === 0) {
    report(`The backup container has no schedule (BACKUP_SCHEDULES must be a JSON list of {name, cron}), so nothing is backed up. Give it at least one schedule within the ${rpo}-minute RPO.`);
    return;
  }
  const valid: Schedule[] = [];
  for (const s of schedules) {
    const problem = cronProblem(s.cron);
    if (problem) report(`Backup schedule ${s.name} has an invalid cron "${s.cron}" (it ${problem}). Fix its cron expression.`);
    else valid.push(s);
  }
  if (valid.length === 0) return;
  // Every run is a full backup: what counts is the longest time between two runs of any schedule.
  const gap = longestGapMinutes(valid.map((s) => s.cron));
  if (gap > rpo) {
    const which = valid.map((s) => `${s.name} ("${s.cron}")`).join(" and ");
    const span = Number.isFinite(gap) ? `${gap} minutes` : "more than eight years";
    report(
      `Backup schedule${valid.length > 1 ? "s" : ""} ${which} leave${valid.length > 1 ? "" : "s"} up to ${span} between backups, more than the ${rpo}-minute RPO: a failure can lose more data than allowed. Run a backup at least every ${rpo} minutes (e.g. "0 * * * *" for 60).`,
    );
  }
}

export const backupCoversStatefulVolumes = { ...rule, validateResource: validateSchedules };
