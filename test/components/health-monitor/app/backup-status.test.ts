import { describe, expect, it } from "vitest";
import { evaluateBackup, parseBackupStatus } from "../../../../components/health-monitor/app/src/backup-status";

// What components/backup/backup.sh writes today.
const current = {
  stack: "dev",
  rpoMinutes: 60,
  lastVerifiedBackup: "2026-12-01T09:30:00Z",
  lastVerifiedBackupEpoch: 1796117400,
  lastArchive: "mcp-dev-2026-12-01T09-30-00Z-hourly.tar.gz",
  lastSchedule: "hourly",
  lastRun: { time: "2026-12-01T09:30:00Z", ok: true, error: "" },
  offsite: { enabled: false },
};

describe("the backup status file", () => {
  it("reads the fields the backup script writes today", () => {
    const s = parseBackupStatus(JSON.stringify(current));
    expect(s.lastVerifiedBackup?.toISOString()).toBe("2026-12-01T09:30:00.000Z");
    expect(s.snapshotId).toBe(current.lastArchive);
    expect(s.lastRun).toEqual({ time: new Date("2026-12-01T09:30:00Z"), ok: true, error: undefined });
    expect(s.rpoMinutes).toBe(60);
    expect(s.problems).toEqual([]);
  });

  it("reads a restic-style file: snapshot id, sizes, duration, restore drill; other fields are ignored", () => {
    const s = parseBackupStatus(
      JSON.stringify({
        lastVerifiedBackup: "2026-12-01T09:30:00+01:00",
        snapshotId: "4f3c2a1b",
        sizeBytes: 123456789,
        durationSeconds: 42.5,
        lastRestoreDrill: { time: "2026-11-30T03:00:00Z", ok: false, error: "restored graph has 0 nodes, expected 1520" },
        repository: { kind: "restic", path: "/backups/repo" },
        somethingNew: [1, 2, 3],
      }),
    );
    expect(s).toMatchObject({ snapshotId: "4f3c2a1b", sizeBytes: 123456789, durationSeconds: 42.5, problems: [] });
    expect(s.lastVerifiedBackup?.toISOString()).toBe("2026-12-01T08:30:00.000Z");
    expect(s.lastRestoreDrill).toEqual({ time: new Date("2026-11-30T03:00:00Z"), ok: false, error: "restored graph has 0 nodes, expected 1520" });
  });

  it("takes the epoch field when the ISO one is absent, and null as no backup yet", () => {
    expect(parseBackupStatus('{"lastVerifiedBackupEpoch": 1796117400}').lastVerifiedBackup?.toISOString()).toBe("2026-12-01T09:30:00.000Z");
    expect(parseBackupStatus('{"lastVerifiedBackup": null, "lastVerifiedBackupEpoch": null}').lastVerifiedBackup).toBeNull();
  });

  it("treats a field of the wrong type as absent and says so", () => {
    const s = parseBackupStatus('{"lastVerifiedBackup": "yesterday", "sizeBytes": "big", "lastRestoreDrill": 3}');
    expect(s.lastVerifiedBackup).toBeNull();
    expect(s.sizeBytes).toBeUndefined();
    expect(s.problems).toEqual([
      'lastVerifiedBackup has an unusable value ("yesterday")',
      'sizeBytes has an unusable value ("big")',
      "lastRestoreDrill has an unusable value (3)",
    ]);
  });

  it("refuses what is not a JSON object", () => {
    expect(() => parseBackupStatus("not json")).toThrow(/is not JSON/);
    expect(() => parseBackupStatus("[1]")).toThrow(/is not a JSON object/);
  });
});

describe("backup age against the RPO", () => {
  const startedAt = new Date("2026-12-01T08:00:00Z");
  const opts = { statusFile: "/backups/status.json", rpoMinutes: 60, startedAt };
  const file = (o: object) => () => JSON.stringify({ ...current, ...o });

  it("is healthy while the last verified backup is younger than the RPO", () => {
    const r = evaluateBackup(opts, file({}), new Date("2026-12-01T10:29:00Z"));
    expect(r.conditions).toEqual([]);
    expect(r.view).toMatchObject({ status: "healthy", ageSeconds: 59 * 60, lastVerifiedBackup: "2026-12-01T09:30:00.000Z" });
  });

  it("raises backup_stale once it is older than the RPO, with the last failed run's reason", () => {
    const r = evaluateBackup(opts, file({ lastRun: { time: "2026-12-01T10:30:00Z", ok: false, error: "neo4j export failed" } }), new Date("2026-12-01T10:31:00Z"));
    expect(r.view.status).toBe("unhealthy");
    expect(r.conditions.map((c) => [c.type, c.message])).toEqual([
      ["backup_stale", "the last verified backup is 61 min old, older than the 60 min RPO (last run failed: neo4j export failed)"],
    ]);
  });

  it("raises restore_drill_failed when the last drill failed", () => {
    const r = evaluateBackup(opts, file({ lastRestoreDrill: { time: "2026-12-01T09:45:00Z", ok: false, error: "checksum mismatch" } }), new Date("2026-12-01T10:00:00Z"));
    expect(r.conditions.map((c) => c.type)).toEqual(["restore_drill_failed"]);
    expect(r.conditions[0]!.message).toBe("the last restore drill (2026-12-01T09:45:00.000Z) failed: checksum mismatch");
  });

  it("gives a missing file one RPO from the monitor's start before calling it stale", () => {
    const missing = () => {
      throw Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" });
    };
    expect(evaluateBackup(opts, missing, new Date("2026-12-01T08:59:00Z"))).toMatchObject({ conditions: [], view: { status: "unknown" } });
    const late = evaluateBackup(opts, missing, new Date("2026-12-01T09:01:00Z"));
    expect(late.conditions.map((c) => c.message)).toEqual(["no verified backup in the 60 min RPO: no status file at /backups/status.json yet"]);
  });

  it("calls an unreadable file stale at once", () => {
    const r = evaluateBackup(opts, () => "{", new Date("2026-12-01T08:01:00Z"));
    expect(r.view.status).toBe("unhealthy");
    expect(r.conditions[0]!.message).toMatch(/^backup status unreadable: \/backups\/status.json is not JSON/);
  });
});
