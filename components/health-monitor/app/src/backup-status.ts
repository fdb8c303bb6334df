// The backup's status file (/backups/status.json on the backups volume, mounted read-only): the one
// parser of it. It reads only the fields below, ignores any other, and treats a field of the wrong type
// as absent (listing it in `problems`), so the backup side can add fields without breaking the monitor.
//
//   lastVerifiedBackup        ISO 8601 time of the last backup that was verified (or
//   lastVerifiedBackupEpoch   the same in seconds since the epoch); null when there is none yet
//   snapshotId | lastArchive  what that backup is called (a restic snapshot id, an archive name)
//   sizeBytes                 its size
//   durationSeconds           how long it took
//   lastRun {time, ok, error} the last attempt, successful or not
//   lastRestoreDrill {time, ok, error}   the last restore drill, once backups run them
//   rpoMinutes                the RPO the backup side was given (informational)
import type { Condition } from "./thresholds";

export interface RunRecord {
  time?: Date;
  ok?: boolean;
  error?: string;
}

export interface BackupStatus {
  lastVerifiedBackup: Date | null;
  snapshotId?: string;
  sizeBytes?: number;
  durationSeconds?: number;
  lastRun?: RunRecord;
  lastRestoreDrill?: RunRecord;
  rpoMinutes?: number;
  // Fields present with a type this parser cannot use.
  problems: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function time(v: unknown): Date | undefined {
  if (typeof v === "string") {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  // Seconds since the epoch.
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return new Date(v * 1000);
  return undefined;
}

export class BackupStatusError extends Error {}

export function parseBackupStatus(text: string): BackupStatus {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BackupStatusError(`is not JSON (${(e as Error).message})`);
  }
  if (!isObject(raw)) throw new BackupStatusError("is not a JSON object");
  const problems: string[] = [];
  const field = <T>(key: string, read: (v: unknown) => T | undefined): T | undefined => {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    const out = read(v);
    if (out === undefined) problems.push(`${key} has an unusable value (${JSON.stringify(v).slice(0, 60)})`);
    return out;
  };
  const str = (v: unknown) => (typeof v === "string" && v.length ? v : undefined);
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined);
  const run = (v: unknown): RunRecord | undefined => {
    if (!isObject(v)) return undefined;
    return {
      time: time(v.time),
      ok: typeof v.ok === "boolean" ? v.ok : undefined,
      error: typeof v.error === "string" && v.error.length ? v.error : undefined,
    };
  };
  const verified = field("lastVerifiedBackup", time) ?? field("lastVerifiedBackupEpoch", time) ?? null;
  return {
    lastVerifiedBackup: verified,
    snapshotId: field("snapshotId", str) ?? field("lastArchive", str),
    sizeBytes: field("sizeBytes", num),
    durationSeconds: field("durationSeconds", num),
    lastRun: field("lastRun", run),
    lastRestoreDrill: field("lastRestoreDrill", run),
    rpoMinutes: field("rpoMinutes", num),
    problems,
  };
}

export const BACKUP_TARGET = "backup";

export interface BackupView {
  status: "healthy" | "unhealthy" | "unknown";
  statusFile: string;
  rpoMinutes: number;
  checkedAt: string;
  ageSeconds: number | null;
  lastVerifiedBackup: string | null;
  snapshotId?: string;
  sizeBytes?: number;
  durationSeconds?: number;
  lastRun?: { time?: string; ok?: boolean; error?: string };
  lastRestoreDrill?: { time?: string; ok?: boolean; error?: string };
  error?: string;
}

const iso = (r?: RunRecord) => r && { time: r.time?.toISOString(), ok: r.ok, error: r.error };

// What the status file says against the RPO. `read` returns the file's text, or throws (ENOENT: no
// backup has written it yet). A missing file is only stale once the monitor has waited one RPO for it.
export function evaluateBackup(
  opts: { statusFile: string; rpoMinutes: number; startedAt: Date },
  read: () => string,
  now: Date,
): { view: BackupView; conditions: Condition[] } {
  const rpoMs = opts.rpoMinutes * 60_000;
  const base = { target: BACKUP_TARGET, service: BACKUP_TARGET };
  const stale = (message: string): Condition => ({ ...base, key: `backup_stale:${BACKUP_TARGET}`, type: "backup_stale", severity: "high", message });
  const view: BackupView = {
    status: "unknown",
    statusFile: opts.statusFile,
    rpoMinutes: opts.rpoMinutes,
    checkedAt: now.toISOString(),
    ageSeconds: null,
    lastVerifiedBackup: null,
  };
  let status: BackupStatus;
  try {
    status = parseBackupStatus(read());
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    view.error = missing ? `no status file at ${opts.statusFile} yet` : `${opts.statusFile} ${(e as Error).message}`;
    const waited = now.getTime() - opts.startedAt.getTime() > rpoMs;
    if (!missing || waited) view.status = "unhealthy";
    return {
      view,
      conditions: view.status === "unhealthy" ? [stale(missing ? `no verified backup in the ${opts.rpoMinutes} min RPO: ${view.error}` : `backup status unreadable: ${view.error}`)] : [],
    };
  }
  const conditions: Condition[] = [];
  Object.assign(view, {
    lastVerifiedBackup: status.lastVerifiedBackup?.toISOString() ?? null,
    snapshotId: status.snapshotId,
    sizeBytes: status.sizeBytes,
    durationSeconds: status.durationSeconds,
    lastRun: iso(status.lastRun),
    lastRestoreDrill: iso(status.lastRestoreDrill),
  });
  if (status.problems.length) view.error = status.problems.join("; ");
  if (status.lastVerifiedBackup) {
    const age = now.getTime() - status.lastVerifiedBackup.getTime();
    view.ageSeconds = Math.round(age / 1000);
    if (age > rpoMs)
      conditions.push(stale(`the last verified backup is ${Math.round(age / 60_000)} min old, older than the ${opts.rpoMinutes} min RPO${status.lastRun?.ok === false && status.lastRun.error ? ` (last run failed: ${status.lastRun.error})` : ""}`));
  } else if (now.getTime() - opts.startedAt.getTime() > rpoMs) {
    conditions.push(stale(`no verified backup in the ${opts.rpoMinutes} min RPO${status.lastRun?.error ? ` (last run failed: ${status.lastRun.error})` : ""}`));
  }
  if (status.lastRestoreDrill?.ok === false)
    conditions.push({
      ...base,
      key: `restore_drill_failed:${BACKUP_TARGET}`,
      type: "restore_drill_failed",
      severity: "high",
      message: `the last restore drill${status.lastRestoreDrill.time ? ` (${status.lastRestoreDrill.time.toISOString()})` : ""} failed${status.lastRestoreDrill.error ? `: ${status.lastRestoreDrill.error}` : ""}`,
    });
  view.status = conditions.length ? "unhealthy" : status.lastVerifiedBackup ? "healthy" : "unknown";
  return { view, conditions };
}
