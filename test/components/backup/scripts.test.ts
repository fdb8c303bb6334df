// The backup and restore scripts, run for real with bash on temporary directories standing in for the
// volumes; cypher-shell and docker are small fakes on PATH that record how they were called.
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ROOT } from "../../harness/stack-files";
import { hasTool as has, skipOrFail } from "../../harness/tools";

const DIR = path.join(ROOT, "components/backup");
const BACKUP = path.join(DIR, "backup.sh");
const RESTORE = path.join(DIR, "restore.sh");
const SCRIPTS = fs.readdirSync(DIR).filter((f) => f.endsWith(".sh"));


// What the fake Neo4j holds: statements with quotes, backslashes, newlines and non-ASCII text, so the
// export's encoding round trip is exercised.
const BATCHES = [
  ':begin\nCREATE (:Person {name: "Ada \\"the\\" Countess", note: \'a\\\\b\'});\nCREATE (:City {name: "Zürich"});\n:commit',
  ":begin\nMATCH (a:Person), (b:City) CREATE (a)-[:LIVES_IN]->(b);\n:commit",
];
const EXPORTED = BATCHES.map((b) => `${b}\n`).join("");

interface Sandbox {
  root: string;
  bin: string;
  volumes: string;
  backups: string;
  share: string;
  calls: string;
  env: Record<string, string>;
}

const sandboxes: string[] = [];
afterAll(() => {
  for (const dir of sandboxes) fs.rmSync(dir, { recursive: true, force: true });
});

function sandbox(): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "backup-test-"));
  sandboxes.push(root);
  const s: Sandbox = {
    root,
    bin: path.join(root, "bin"),
    volumes: path.join(root, "volumes"),
    backups: path.join(root, "backups"),
    share: path.join(root, "share"),
    calls: path.join(root, "calls.log"),
    env: {},
  };
  for (const d of [s.bin, s.volumes, s.backups, s.share]) fs.mkdirSync(d, { recursive: true });
  const b64 = BATCHES.map((b) => `"${Buffer.from(b).toString("base64")}"`).join("\n");
  // cypher-shell as Neo4j 5 Community answers: SHOW ROLES is Enterprise only.
  fs.writeFileSync(
    path.join(s.bin, "cypher-shell"),
    `#!/usr/bin/env bash
echo "cypher-shell $*" >>"${s.calls}"
[[ -n \${NEO4J_PASSWORD:-} ]] || { echo "no password" >&2; exit 1; }
[[ $* != *"$NEO4J_PASSWORD"* ]] || { echo "password on the command line" >&2; exit 1; }
[[ -z \${FAKE_NEO4J_DOWN:-} ]] || { echo "Connection refused" >&2; exit 1; }
q="\${*: -1}"
if [[ $q == plain ]]; then
  # Statements on stdin, as the restore replays them: record them, answer the count query.
  input=$(mktemp)
  cat >"$input"
  if grep -q "count(n)" "$input"; then printf 'nodes\n%s\n' "\${FAKE_NODES:-2}"; else cat "$input" >>"${s.root}/replayed.cypher"; fi
  exit 0
fi
case $q in
  *apoc.export.cypher.all*) printf 'b64\\n%s\\n' '${b64}' ;;
  *"count(n)"*) printf 'nodes\\n2\\n' ;;
  *"count(r)"*) printf 'relationships\\n1\\n' ;;
  "SHOW USERS") printf 'user, roles, passwordChangeRequired, suspended, home\\n"neo4j", NULL, FALSE, NULL, NULL\\n' ;;
  *) echo "Unsupported administration command: $q" >&2; exit 1 ;;
esac
`,
    { mode: 0o755 },
  );
  // Volumes: gmail's OAuth token (private), rag's documents (binary, nested, a dotfile, an empty dir),
  // Neo4j's live store (never copied) and the offline dumps the maintenance command wrote.
  write(s, "gmail-data/credentials.json", '{"refresh_token":"r-123"}', 0o600);
  write(s, "rag-data/docs/a.bin", crypto.randomBytes(20_000));
  write(s, "rag-data/docs/.index", "idx");
  fs.mkdirSync(path.join(s.volumes, "rag-data/empty"), { recursive: true });
  write(s, "neo4j-logs/neo4j.log", "started\n");
  write(s, "neo4j-data/databases/neo4j/neostore", "live store bytes");
  write(s, "neo4j-data/dumps/neo4j.dump", "offline neo4j dump");
  write(s, "neo4j-data/dumps/system.dump", "offline system dump");
  fs.writeFileSync(path.join(s.share, "platform-config.json"), '{"stack":"test","config":{"backup":{"rpoMinutes":60}}}\n');
  s.env = {
    PATH: `${s.bin}:${process.env.PATH}`,
    BACKUP_DIR: s.backups,
    BACKUP_VOLUMES_DIR: s.volumes,
    BACKUP_SHARE_DIR: s.share,
    BACKUP_STACK: "test",
    BACKUP_RPO_MINUTES: "60",
    NEO4J_PASSWORD: "pw-Secret-123",
    RESTORE_SCRATCH: root,
    TMPDIR: root,
    BACKUP_RUNNING_FILE: path.join(root, "running"),
    BACKUP_HEARTBEAT_FILE: path.join(root, "heartbeat"),
  };
  return s;
}

function write(s: Sandbox, rel: string, content: string | Buffer, mode = 0o644) {
  const p = path.join(s.volumes, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  fs.chmodSync(p, mode);
}

function sh(s: Sandbox, script: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync("bash", [script, ...args], { encoding: "utf8", env: { ...s.env, ...env }, cwd: s.root, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const T0 = Date.UTC(2026, 10, 2, 10, 0, 0) / 1000; // Monday 2026-11-02 10:00 UTC
const HOUR = 3600;

function runBackup(s: Sandbox, now: number, env: Record<string, string> = {}) {
  const r = sh(s, BACKUP, ["run", "hourly"], { BACKUP_NOW: String(now), ...env });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

function archives(dir: string) {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.tar\.gz(\.enc)?$/.test(f)).sort() : [];
}

// A tree as path -> mode, size and checksum (or "dir"), to compare restored files with the originals.
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      const st = fs.lstatSync(p);
      if (e.isDirectory()) {
        out[rel] = `dir ${(st.mode & 0o7777).toString(8)}`;
        walk(p);
      } else out[rel] = `${(st.mode & 0o7777).toString(8)} ${st.size} ${crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex")}`;
    }
  };
  walk(dir);
  return out;
}

function listArchive(file: string): string[] {
  const r = spawnSync("tar", ["-tzf", file], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split("\n");
}

function readFromArchive(file: string, member: string): string {
  const r = spawnSync("tar", ["-xzOf", file, member], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

const status = (s: Sandbox) => JSON.parse(fs.readFileSync(path.join(s.backups, "status.json"), "utf8")) as Record<string, unknown>;

describe("the backup scripts", () => {
  it(`pass shellcheck: ${SCRIPTS.join(", ")}`, (ctx) => {
    skipOrFail(ctx, has("shellcheck") ? undefined : "shellcheck is not installed (apt-get install shellcheck)");
    expect(SCRIPTS.length).toBeGreaterThanOrEqual(2);
    const r = spawnSync("shellcheck", ["--severity=style", ...SCRIPTS.map((f) => path.join(DIR, f))], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("a backup run (backup.sh run)", () => {
  let s: Sandbox;
  beforeEach(() => {
    s = sandbox();
  });

  it("writes a timestamped archive and its checksum, and the checksum matches", () => {
    const file = runBackup(s, T0);
    expect(file).toBe(path.join(s.backups, "archives", "mcp-test-20261102T100000Z.tar.gz"));
    const check = spawnSync("sha256sum", ["-c", `${path.basename(file)}.sha256`], { cwd: path.dirname(file), encoding: "utf8" });
    expect(check.stdout).toContain("OK");
    expect(check.status).toBe(0);
  });

  it("holds the Neo4j export, users, counts, offline dumps, every other volume and the rendered config", () => {
    const file = runBackup(s, T0);
    const id = "mcp-test-20261102T100000Z";
    const members = listArchive(file);
    for (const m of [
      "neo4j/neo4j.cypher",
      "neo4j/system-users.txt",
      "neo4j/counts.json",
      "neo4j/offline/neo4j.dump",
      "neo4j/offline/system.dump",
      "volumes/gmail-data/credentials.json",
      "volumes/rag-data/docs/a.bin",
      "volumes/rag-data/docs/.index",
      "volumes/neo4j-logs/neo4j.log",
      "config/platform-config.json",
      "config/restore.sh",
      "backup.json",
      "MANIFEST.sha256",
    ])
      expect(members, m).toContain(`${id}/${m}`);
    // The live store is never copied as files: a copy of a running store is not consistent.
    expect(members.some((m) => m.includes("neo4j-data/databases") || m.includes("neostore"))).toBe(false);
    expect(readFromArchive(file, `${id}/neo4j/neo4j.cypher`)).toBe(EXPORTED);
    expect(JSON.parse(readFromArchive(file, `${id}/backup.json`))).toMatchObject({ id, stack: "test", schedule: "hourly", neo4j: { nodes: 2, relationships: 1 } });
  });

  it("lists every file in a sha256 manifest", () => {
    const file = runBackup(s, T0);
    const id = "mcp-test-20261102T100000Z";
    const manifest = readFromArchive(file, `${id}/MANIFEST.sha256`).trim().split("\n");
    const files = listArchive(file).filter((m) => !m.endsWith("/") && !m.endsWith("MANIFEST.sha256"));
    expect(manifest.map((l) => l.replace(/^[0-9a-f]{64} {2}\.\//, `${id}/`)).sort()).toEqual(files.sort());
    const gmail = manifest.find((l) => l.endsWith("gmail-data/credentials.json"))!;
    expect(gmail.slice(0, 64)).toBe(crypto.createHash("sha256").update('{"refresh_token":"r-123"}').digest("hex"));
  });

  it("asks cypher-shell for an online APOC export of neo4j and SHOW USERS of system, password only in its environment", () => {
    runBackup(s, T0);
    const calls = fs.readFileSync(s.calls, "utf8");
    expect(calls).toMatch(/-d neo4j .*apoc\.export\.cypher\.all\(null, \{stream: true/);
    expect(calls).toMatch(/-d system SHOW USERS/);
    expect(calls).not.toContain("pw-Secret-123");
  });

  it("records the last verified backup in status.json, for the health monitor to hold against the RPO", () => {
    runBackup(s, T0);
    expect(status(s)).toMatchObject({
      stack: "test",
      rpoMinutes: 60,
      lastVerifiedBackup: "2026-11-02T10:00:00Z",
      lastVerifiedBackupEpoch: T0,
      lastArchive: "mcp-test-20261102T100000Z.tar.gz",
      lastRun: { ok: true },
    });
  });

  it("answers the RPO check from status.json: ok within the RPO, STALE past it or with no backup", () => {
    const none = sh(s, BACKUP, ["check"]);
    expect(none.status).toBe(1);
    expect(none.stdout).toMatch(/no verified backup yet \(RPO 60 minutes\): STALE/);
    runBackup(s, T0);
    const fresh = sh(s, BACKUP, ["check"], { BACKUP_NOW: String(T0 + 59 * 60) });
    expect(fresh.status).toBe(0);
    expect(fresh.stdout).toBe("last verified backup 2026-11-02T10:00:00Z, 59 minutes ago, RPO 60 minutes: ok\n");
    const stale = sh(s, BACKUP, ["check"], { BACKUP_NOW: String(T0 + 61 * 60) });
    expect(stale.status).toBe(1);
    expect(stale.stdout).toMatch(/61 minutes ago, RPO 60 minutes: STALE/);
  });

  it("keeps the last verified backup in status.json when a run fails, and says why; no archive is added", () => {
    runBackup(s, T0);
    const r = sh(s, BACKUP, ["run", "hourly"], { BACKUP_NOW: String(T0 + HOUR), FAKE_NEO4J_DOWN: "1" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: the Neo4j export failed/);
    expect(status(s)).toMatchObject({
      lastVerifiedBackup: "2026-11-02T10:00:00Z",
      lastRun: { time: "2026-11-02T11:00:00Z", ok: false, error: expect.stringMatching(/Neo4j export failed/) },
    });
    expect(archives(path.join(s.backups, "archives"))).toEqual(["mcp-test-20261102T100000Z.tar.gz"]);
    // Nothing half-written is left behind.
    expect(fs.readdirSync(s.backups).filter((f) => f.startsWith(".work"))).toEqual([]);
  });

  it("stops at the first failing command (here gzip) and records the failure", () => {
    fs.writeFileSync(path.join(s.bin, "gzip"), "#!/bin/sh\necho 'gzip: No space left on device' >&2\nexit 1\n", { mode: 0o755 });
    const r = sh(s, BACKUP, ["run", "hourly"], { BACKUP_NOW: String(T0) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("No space left on device");
    expect(status(s)).toMatchObject({ lastVerifiedBackup: null, lastRun: { ok: false } });
    expect(archives(path.join(s.backups, "archives"))).toEqual([]);
    expect(r.stderr).not.toContain("verified");
  });

  it("copies each verified archive off the host and checks it there", () => {
    const offsite = path.join(s.root, "nfs");
    fs.mkdirSync(offsite);
    runBackup(s, T0, { BACKUP_OFFSITE_DIR: offsite });
    const copy = path.join(offsite, "test", "mcp-test-20261102T100000Z.tar.gz");
    expect(fs.readFileSync(copy)).toEqual(fs.readFileSync(path.join(s.backups, "archives", path.basename(copy))));
    expect(fs.existsSync(`${copy}.sha256`)).toBe(true);
    expect(status(s).offsite).toMatchObject({ enabled: true, ok: true });
  });

  it("reports a failed off-host copy without losing the local backup", () => {
    const offsite = path.join(s.root, "not-a-dir");
    fs.writeFileSync(offsite, "a file where the mount should be");
    runBackup(s, T0, { BACKUP_OFFSITE_DIR: offsite });
    expect(status(s)).toMatchObject({ lastVerifiedBackupEpoch: T0, offsite: { enabled: true, ok: false } });
  });
});

describe("the scheduler (backup.sh schedule) and its healthcheck", () => {
  it("backs up at once when no backup is newer than the RPO, and reports healthy while it ticks", async () => {
    const s = sandbox();
    const env = { ...s.env, BACKUP_SCHEDULES: JSON.stringify([{ name: "nightly", cron: "30 2 * * *" }]) };
    // Its own process group, so that stopping it also stops the sleep it waits in.
    const child = spawn("bash", [BACKUP, "schedule"], { env, stdio: ["ignore", "ignore", "pipe"], detached: true });
    let log = "";
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    try {
      const statusFile = path.join(s.backups, "status.json");
      for (let i = 0; i < 100 && !fs.existsSync(statusFile); i++) await new Promise((r) => setTimeout(r, 200));
      expect(log).toContain("schedule nightly: 30 2 * * * (UTC)");
      expect(status(s)).toMatchObject({ lastSchedule: "catch-up", lastRun: { ok: true } });
      expect(archives(path.join(s.backups, "archives"))).toHaveLength(1);
      expect(sh(s, BACKUP, ["health"]).status).toBe(0);
    } finally {
      process.kill(-child.pid!, "SIGTERM");
    }
  });

  it("reports unhealthy when the scheduler has stopped ticking", () => {
    const s = sandbox();
    fs.writeFileSync(s.env.BACKUP_HEARTBEAT_FILE!, "");
    const old = new Date(Date.now() - 10 * 60_000);
    fs.utimesSync(s.env.BACKUP_HEARTBEAT_FILE!, old, old);
    const r = sh(s, BACKUP, ["health"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the scheduler has not ticked for 3 minutes/);
  });

  it("refuses to start without a schedule", () => {
    const s = sandbox();
    const r = sh(s, BACKUP, ["schedule"], { BACKUP_SCHEDULES: "[]" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/BACKUP_SCHEDULES names no schedule/);
  });
});

describe("encryption (BACKUP_ENCRYPTION_KEY)", () => {
  it("encrypts the archive, and only the same key gets the files back, byte for byte", () => {
    const s = sandbox();
    const key = { BACKUP_ENCRYPTION_KEY: "correct horse battery staple" };
    const file = runBackup(s, T0, key);
    expect(file).toMatch(/\.tar\.gz\.enc$/);
    const raw = fs.readFileSync(file);
    expect(raw.subarray(0, 8).toString()).toBe("Salted__");
    expect(raw.includes(Buffer.from("r-123"))).toBe(false);
    expect(spawnSync("tar", ["-tzf", file]).status).not.toBe(0);

    const target = fs.mkdtempSync(path.join(s.root, "gmail-"));
    const ok = sh(s, RESTORE, ["extract", file, "volumes/gmail-data", target], key);
    expect(ok.status, ok.stderr).toBe(0);
    expect(tree(target)).toEqual(tree(path.join(s.volumes, "gmail-data")));

    const wrong = sh(s, RESTORE, ["verify", file], { BACKUP_ENCRYPTION_KEY: "wrong" });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/does not decrypt with this key/);
    const none = sh(s, RESTORE, ["verify", file]);
    expect(none.stderr).toMatch(/is encrypted: set BACKUP_ENCRYPTION_KEY/);
  });
});

describe("retention (keep the newest of each of the last N hours, days, ISO weeks)", () => {
  // An independent statement of the rule, to hold the script to.
  function expectedKeep(times: number[], n: { hourly: number; daily: number; weekly: number }): number[] {
    const isoWeek = (t: number) => {
      const d = new Date(t * 1000);
      const day = (d.getUTCDay() + 6) % 7;
      const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3));
      const firstThursday = new Date(Date.UTC(thursday.getUTCFullYear(), 0, 4));
      return `${thursday.getUTCFullYear()}-${Math.round((thursday.getTime() - firstThursday.getTime()) / 604_800_000)}`;
    };
    const buckets: [number, (t: number) => string][] = [
      [n.hourly, (t) => new Date(t * 1000).toISOString().slice(0, 13)],
      [n.daily, (t) => new Date(t * 1000).toISOString().slice(0, 10)],
      [n.weekly, isoWeek],
    ];
    const newest = [...times].sort((a, b) => b - a);
    const keep = new Set<number>([newest[0]!]);
    for (const [count, bucket] of buckets) {
      const seen = new Set<string>();
      for (const t of newest) {
        if (seen.size >= count) break;
        if (!seen.has(bucket(t))) {
          seen.add(bucket(t));
          keep.add(t);
        }
      }
    }
    return [...keep].sort((a, b) => a - b);
  }
  const name = (t: number) => `mcp-test-${new Date(t * 1000).toISOString().replace(/[-:]/g, "").slice(0, 15)}Z.tar.gz`;

  it("prunes 40 simulated days of hourly archives to 24 hourly, 7 daily and 4 weekly", () => {
    const s = sandbox();
    const dir = path.join(s.backups, "archives");
    fs.mkdirSync(dir, { recursive: true });
    const times = Array.from({ length: 40 * 24 }, (_, i) => T0 + i * HOUR);
    for (const t of times) {
      fs.writeFileSync(path.join(dir, name(t)), "x");
      fs.writeFileSync(path.join(dir, `${name(t)}.sha256`), "x");
    }
    const r = sh(s, BACKUP, ["prune"]);
    expect(r.status, r.stderr).toBe(0);
    const kept = expectedKeep(times, { hourly: 24, daily: 7, weekly: 4 });
    expect(archives(dir)).toEqual(kept.map(name));
    // The last run is Friday 09:00 of the sixth week: 24 hourly (Thursday 10:00 on) + 5 earlier days
    // (Saturday to Wednesday; Sunday's is also its week's newest) + 2 earlier weeks' Sundays.
    expect(kept).toHaveLength(24 + 5 + 2);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".sha256"))).toHaveLength(kept.length);
  });

  it("applies after each real run, over simulated days", () => {
    const s = sandbox();
    const keep = { BACKUP_KEEP_HOURLY: "2", BACKUP_KEEP_DAILY: "2", BACKUP_KEEP_WEEKLY: "1" };
    const runs = [0, 1, 2, 24, 25, 48, 49, 50].map((h) => T0 + h * HOUR);
    for (const t of runs) runBackup(s, t, keep);
    expect(archives(path.join(s.backups, "archives"))).toEqual([T0 + 25 * HOUR, T0 + 49 * HOUR, T0 + 50 * HOUR].map(name));
    expect(status(s).lastVerifiedBackupEpoch).toBe(T0 + 50 * HOUR);
  });
});

describe("restore (restore.sh extract)", () => {
  let s: Sandbox;
  let file: string;
  beforeEach(() => {
    s = sandbox();
    file = runBackup(s, T0);
  });

  it("restores each volume into an empty directory, byte-identical to the source, modes included", () => {
    for (const volume of ["gmail-data", "rag-data", "neo4j-logs"]) {
      const target = fs.mkdtempSync(path.join(s.root, `${volume}-`));
      const r = sh(s, RESTORE, ["extract", file, `volumes/${volume}`, target]);
      expect(r.status, r.stderr).toBe(0);
      expect(tree(target), volume).toEqual(tree(path.join(s.volumes, volume)));
    }
    // The verified copy it restored from is cleaned up.
    expect(fs.readdirSync(s.root).filter((f) => f.startsWith("restore."))).toEqual([]);
  });

  it("gives files back their owners even when the backup ran as a user that could not keep them", (ctx) => {
    if (process.getuid?.() !== 0 || !has("setpriv")) ctx.skip("needs root and setpriv to run the backup as uid 1000");
    // The MCP servers' files are uid 1000's, as the backup user's; a data service's are another uid's.
    spawnSync("chown", ["-R", "1000:1000", s.volumes]);
    const owned = path.join(s.volumes, "vector-data");
    fs.mkdirSync(owned);
    fs.writeFileSync(path.join(owned, "segment"), "vectors");
    fs.chownSync(owned, 4242, 4343);
    fs.chownSync(path.join(owned, "segment"), 4242, 4343);
    fs.chmodSync(s.root, 0o755);
    fs.writeFileSync(s.calls, "", { mode: 0o666 });
    spawnSync("chown", ["-R", "1000:1000", s.backups]);
    const r = spawnSync("setpriv", ["--reuid", "1000", "--regid", "1000", "--clear-groups", "bash", BACKUP, "run", "hourly"], {
      encoding: "utf8",
      env: {
        ...s.env,
        BACKUP_NOW: String(T0 + HOUR),
        TMPDIR: s.backups,
        RESTORE_SCRATCH: s.backups,
        BACKUP_RUNNING_FILE: path.join(s.backups, "running"),
      },
    });
    expect(r.status, r.stderr).toBe(0);
    const archive = r.stdout.trim();
    // In the copy the non-root backup made, the files are its own; the recorded owners are not.
    expect(spawnSync("tar", ["--numeric-owner", "-tvzf", archive], { encoding: "utf8" }).stdout).toMatch(/1000\/1000 .*vector-data\/segment/);
    const target = fs.mkdtempSync(path.join(s.root, "vector-"));
    const restored = sh(s, RESTORE, ["extract", archive, "volumes/vector-data", target]);
    expect(restored.status, restored.stderr).toBe(0);
    expect([fs.statSync(path.join(target, "segment")).uid, fs.statSync(path.join(target, "segment")).gid]).toEqual([4242, 4343]);
    expect(fs.statSync(target).uid).toBe(4242);
    expect(tree(target)).toEqual(tree(owned));
  });

  it("gives back the Neo4j export and the offline dumps exactly", () => {
    const cypher = sh(s, RESTORE, ["cat", file, "neo4j/neo4j.cypher"]);
    expect(cypher.stdout).toBe(EXPORTED);
    const target = fs.mkdtempSync(path.join(s.root, "dumps-"));
    expect(sh(s, RESTORE, ["extract", file, "neo4j/offline", target]).status).toBe(0);
    expect(tree(target)).toEqual(tree(path.join(s.volumes, "neo4j-data/dumps")));
  });

  it("refuses a non-empty target unless told where to move its files, then moves them aside", () => {
    const target = fs.mkdtempSync(path.join(s.root, "gmail-"));
    fs.writeFileSync(path.join(target, "credentials.json"), "newer, broken");
    const refused = sh(s, RESTORE, ["extract", file, "volumes/gmail-data", target]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/is not empty: pass --replace DIR/);
    expect(fs.readFileSync(path.join(target, "credentials.json"), "utf8")).toBe("newer, broken");

    const old = path.join(s.root, "pre-restore");
    const r = sh(s, RESTORE, ["extract", file, "volumes/gmail-data", target, "--replace", old]);
    expect(r.status, r.stderr).toBe(0);
    expect(tree(target)).toEqual(tree(path.join(s.volumes, "gmail-data")));
    expect(fs.readFileSync(path.join(old, "credentials.json"), "utf8")).toBe("newer, broken");
  });

  describe("a damaged archive is refused with a clear error, and nothing is overwritten", () => {
    function expectRefused(archive: string, message: RegExp) {
      const target = fs.mkdtempSync(path.join(s.root, "target-"));
      fs.writeFileSync(path.join(target, "keep.txt"), "current data");
      const before = tree(target);
      const r = sh(s, RESTORE, ["extract", archive, "volumes/rag-data", target, "--replace", path.join(s.root, "old")]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^restore: error: refusing to restore: /m);
      expect(r.stderr).toMatch(message);
      expect(tree(target)).toEqual(before);
      expect(fs.existsSync(path.join(s.root, "old"))).toBe(false);
      expect(fs.readdirSync(s.root).filter((f) => f.startsWith("restore."))).toEqual([]);
    }

    it("a flipped byte", () => {
      const bytes = fs.readFileSync(file);
      const middle = Math.floor(bytes.length / 2);
      bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
      fs.writeFileSync(file, bytes);
      expectRefused(file, /does not match its checksum: the archive is corrupted or truncated/);
    });

    it("a truncated archive", () => {
      fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
      expectRefused(file, /does not match its checksum/);
    });

    it("a truncated archive whose checksum file was regenerated to match", () => {
      fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
      spawnSync("sh", ["-c", `sha256sum ${path.basename(file)} > ${path.basename(file)}.sha256`], { cwd: path.dirname(file) });
      expectRefused(file, /does not list cleanly/);
    });

    it("a file changed inside a repacked archive", () => {
      const work = fs.mkdtempSync(path.join(s.root, "repack-"));
      spawnSync("tar", ["-xzf", file, "-C", work]);
      const id = fs.readdirSync(work)[0]!;
      fs.appendFileSync(path.join(work, id, "volumes/rag-data/docs/.index"), "tampered");
      spawnSync("tar", ["-czf", file, "-C", work, id]);
      spawnSync("sh", ["-c", `sha256sum ${path.basename(file)} > ${path.basename(file)}.sha256`], { cwd: path.dirname(file) });
      expectRefused(file, /a file in .* does not match the manifest/);
    });

    it("an archive without its checksum file", () => {
      fs.rmSync(`${file}.sha256`);
      expectRefused(file, /has no checksum file/);
    });
  });
});

describe("host recovery commands, run for real against a docker CLI that maps volumes to directories", () => {
  // docker run becomes the same command run here, each named volume a directory under volumes-root
  // and every container path in its arguments rewritten to that directory; stop/start are recorded,
  // containers report healthy, and docker exec runs its command with the container's NEO4J_AUTH.
  function emulatedDocker(s: Sandbox) {
    const vroot = path.join(s.root, "docker-volumes");
    fs.mkdirSync(vroot);
    fs.writeFileSync(
      path.join(s.bin, "docker"),
      `#!/usr/bin/env bash
echo "docker $*" >>"${s.calls}"
VROOT="${vroot}"
case $1 in
run)
  shift
  declare -A map=()
  envs=()
  entry=""
  while (($#)); do
    case $1 in
    --rm) shift ;;
    --network | --security-opt | --user | --cap-drop | --cap-add) shift 2 ;;
    --entrypoint) entry=$2; shift 2 ;;
    -e) envs+=("$2"); shift 2 ;;
    -v)
      spec=$2; shift 2
      if [[ $spec != *:* ]]; then dst=$spec; src=$(mktemp -d); else src=\${spec%%:*}; rest=\${spec#*:}; dst=\${rest%%:*}; fi
      [[ $src == /* ]] || { src="$VROOT/$src"; mkdir -p "$src"; }
      map[$dst]=$src ;;
    *) shift; break ;;
    esac
  done
  rewrite() {
    local a=$1 d
    for d in $(printf '%s\n' "\${!map[@]}" | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-); do a=\${a//$d/\${map[$d]}}; done
    printf '%s' "$a"
  }
  for e in "\${envs[@]}"; do [[ $e == *=* ]] && export "\${e%%=*}=$(rewrite "\${e#*=}")"; done
  args=()
  for a in "$@"; do args+=("$(rewrite "$a")"); done
  exec "$entry" "\${args[@]}" ;;
exec)
  shift; [[ $1 == -i ]] && shift; shift
  NEO4J_AUTH=neo4j/pw-Secret-123 exec "$@" ;;
volume) printf 'mcp-dev-gmail-data\nmcp-dev-neo4j-data\nmcp-dev-neo4j-logs\nmcp-dev-rag-data\n' ;;
ps)
  case "$*" in
  *"label=component=mcp-server"*) echo c-gmail-1; echo c-rag-1 ;;
  *"label=component=health-monitor"*) echo c-monitor ;;
  *"label=service=rag"*) echo c-rag-1 ;;
  *"label=service=gmail"*) echo c-gmail-1 ;;
  *"label=service=neo4j"*) echo c-neo4j ;;
  *"label=component=backup"*) echo c-backup ;;
  esac ;;
inspect)
  case "$*" in
  *Config.Labels*) echo mcp-server ;;
  *Config.Image*) echo neo4j:5.26 ;;
  *State.Health*) echo healthy ;;
  esac ;;
stop | start) ;;
*) echo "unexpected docker $*" >&2; exit 1 ;;
esac
`,
      { mode: 0o755 },
    );
    return vroot;
  }

  function backupInto(s: Sandbox, vroot: string) {
    const backups = path.join(vroot, "mcp-dev-backups");
    const r = sh(s, BACKUP, ["run", "hourly"], { BACKUP_NOW: String(T0), BACKUP_DIR: backups, BACKUP_STACK: "dev" });
    expect(r.status, r.stderr).toBe(0);
    return backups;
  }
  const calls = (s: Sandbox) => fs.readFileSync(s.calls, "utf8").split("\n").filter((l) => l.startsWith("docker "));

  it("service gmail: verifies, stops it, loads the volume byte for byte, keeps the old files, starts it", () => {
    const s = sandbox();
    const vroot = emulatedDocker(s);
    const backups = backupInto(s, vroot);
    const volume = path.join(vroot, "mcp-dev-gmail-data");
    fs.mkdirSync(volume);
    fs.writeFileSync(path.join(volume, "credentials.json"), "a token written after the disaster");

    const r = sh(s, RESTORE, ["--stack", "dev", "service", "gmail"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("mcp-dev-20261102T100000Z.tar.gz verified");
    expect(tree(volume)).toEqual(tree(path.join(s.volumes, "gmail-data")));
    const [moved] = fs.readdirSync(path.join(backups, "pre-restore"));
    expect(fs.readFileSync(path.join(backups, "pre-restore", moved!, "gmail-data", "credentials.json"), "utf8")).toBe("a token written after the disaster");
    const order = calls(s).map((l) => (l.startsWith("docker stop") ? "stop" : l.startsWith("docker start") ? "start" : l.includes(" extract ") ? "load" : l.includes(" verify ") ? "verify" : "")).filter(Boolean);
    expect(order).toEqual(["verify", "stop", "load", "start"]);
  });

  it("service neo4j: moves the store aside, starts Neo4j empty, replays the export and checks the count", () => {
    const s = sandbox();
    const vroot = emulatedDocker(s);
    backupInto(s, vroot);
    const data = path.join(vroot, "mcp-dev-neo4j-data");
    fs.mkdirSync(path.join(data, "databases"), { recursive: true });
    fs.writeFileSync(path.join(data, "databases", "store"), "damaged store");

    const r = sh(s, RESTORE, ["--stack", "dev", "service", "neo4j"]);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(s.root, "replayed.cypher"), "utf8")).toBe(EXPORTED);
    expect(fs.existsSync(path.join(data, "databases"))).toBe(false);
    const [aside] = fs.readdirSync(data).filter((d) => d.startsWith("pre-restore-"));
    expect(fs.readFileSync(path.join(data, aside!, "databases", "store"), "utf8")).toBe("damaged store");
    expect(r.stderr).toContain("Neo4j holds 2 nodes, as recorded");
  });

  it("full: stops the servers, restores Neo4j and every data volume, starts everything again", () => {
    const s = sandbox();
    const vroot = emulatedDocker(s);
    backupInto(s, vroot);
    for (const v of ["gmail-data", "rag-data"]) {
      fs.mkdirSync(path.join(vroot, `mcp-dev-${v}`));
      fs.writeFileSync(path.join(vroot, `mcp-dev-${v}`, "garbage"), "after the disaster");
    }
    const r = sh(s, RESTORE, ["--stack", "dev", "full"]);
    expect(r.status, r.stderr).toBe(0);
    for (const v of ["gmail-data", "rag-data"]) expect(tree(path.join(vroot, `mcp-dev-${v}`)), v).toEqual(tree(path.join(s.volumes, v)));
    expect(fs.readFileSync(path.join(s.root, "replayed.cypher"), "utf8")).toBe(EXPORTED);
    const lines = calls(s);
    const first = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(first(/^docker stop c-gmail-1 c-rag-1 c-monitor$/)).toBeLessThan(first(/^docker stop c-neo4j$/));
    expect(first(/^docker start c-gmail-1 c-rag-1 c-monitor$/)).toBeGreaterThan(first(/ extract .*volumes\/rag-data/));
  });

  it("service neo4j fails loudly when the graph does not hold what the archive recorded", () => {
    const s = sandbox();
    const vroot = emulatedDocker(s);
    backupInto(s, vroot);
    const r = sh(s, RESTORE, ["--stack", "dev", "service", "neo4j"], { FAKE_NODES: "0" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Neo4j holds 0 nodes after the restore, the archive recorded 2/);
  });

  it("refuses a corrupted archive before stopping anything", () => {
    const s = sandbox();
    const vroot = emulatedDocker(s);
    const backups = backupInto(s, vroot);
    const [archive] = archives(path.join(backups, "archives"));
    fs.truncateSync(path.join(backups, "archives", archive!), 100);
    const r = sh(s, RESTORE, ["--stack", "dev", "service", "gmail"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refusing to restore: .* does not match its checksum/);
    expect(calls(s).filter((l) => /^docker (stop|start)/.test(l))).toEqual([]);
  });
});

describe("host recovery commands, dry run (restore.sh --dry-run …)", () => {
  // A docker CLI that answers the read-only questions and records every call.
  function fakeDocker(s: Sandbox) {
    fs.writeFileSync(
      path.join(s.bin, "docker"),
      `#!/usr/bin/env bash
echo "docker $*" >>"${s.calls}"
case "$1 $*" in
  *"ps -a -q --filter label=service=gmail"*) echo c-gmail-1; echo c-gmail-init ;;
  *"ps -a -q --filter label=service=rag"*) echo c-rag-1 ;;
  *"ps -a -q --filter label=service=neo4j"*) echo c-neo4j ;;
  *"ps -a -q --filter label=component=backup"*) echo c-backup ;;
  *"ps -q --filter label=environment=dev --filter label=component=mcp-server"*) echo c-gmail-1; echo c-rag-1 ;;
  *"ps -q --filter label=environment=dev --filter label=component=health-monitor"*) echo c-monitor ;;
  *"volume ls"*) printf 'mcp-dev-gmail-data\\nmcp-dev-neo4j-data\\nmcp-dev-neo4j-logs\\nmcp-dev-rag-data\\n' ;;
  *"inspect -f {{index .Config.Labels \\"component\\"}} c-gmail-init"*) echo volume-init ;;
  *"inspect -f {{index .Config.Labels"*) echo mcp-server ;;
  *"inspect -f {{.Config.Image}}"*) echo neo4j:5.26 ;;
  *) echo "unexpected docker $*" >&2; exit 1 ;;
esac
`,
      { mode: 0o755 },
    );
  }
  const mutating = (s: Sandbox) =>
    fs
      .readFileSync(s.calls, "utf8")
      .split("\n")
      .filter((l) => /^docker (run|stop|start|exec|rm|volume rm|volume create|cp)\b/.test(l));

  it("single service: says it would verify, stop every replica, load the volume, start and wait, and changes nothing", () => {
    const s = sandbox();
    fakeDocker(s);
    const r = sh(s, RESTORE, ["--dry-run", "--stack", "dev", "--archive", "mcp-dev-20261102T100000Z.tar.gz", "service", "gmail"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^dry run: nothing is stopped, written or started/);
    expect(r.stdout).toMatch(/would run: docker run .* -v mcp-dev-backups:\/backups:ro neo4j:5\.26 \/opt\/restore\/restore\.sh verify \/backups\/archives\/mcp-dev-20261102T100000Z\.tar\.gz/);
    expect(r.stdout).toContain("would run: docker stop c-gmail-1\n");
    expect(r.stdout).toMatch(/would run: docker run .*--network none .* -v mcp-dev-gmail-data:\/target .* extract \/backups\/archives\/mcp-dev-20261102T100000Z\.tar\.gz volumes\/gmail-data \/target --replace \/backups\/pre-restore\/\d{8}T\d{6}Z\/gmail-data/);
    expect(r.stdout).toContain("would run: docker start c-gmail-1\n");
    expect(r.stdout).toContain("would wait until healthy: c-gmail-1\n");
    // The one-shot volume-init container is left alone.
    expect(r.stdout).not.toContain("c-gmail-init");
    expect(mutating(s)).toEqual([]);
  });

  it("Neo4j: stops it, moves the store aside, starts it, replays the export and verifies the count", () => {
    const s = sandbox();
    fakeDocker(s);
    const r = sh(s, RESTORE, ["--dry-run", "--stack", "dev", "service", "neo4j"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("would run: docker stop c-neo4j");
    expect(r.stdout).toMatch(/would run: docker run .*-v mcp-dev-neo4j-data:\/data .*mv \/data\/\$d \/data\/pre-restore-/);
    expect(r.stdout).toMatch(/would run: docker run … restore\.sh cat \/backups\/archives\/<latest archive in mcp-dev-backups> neo4j\/neo4j\.cypher \| docker exec -i c-neo4j cypher-shell/);
    expect(r.stdout).toMatch(/verify the node count/);
    expect(mutating(s)).toEqual([]);
  });

  it("full recovery: stops the servers and monitor, restores Neo4j and every data volume, starts them again", () => {
    const s = sandbox();
    fakeDocker(s);
    const r = sh(s, RESTORE, ["--dry-run", "--stack", "dev", "full"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/full recovery of stack dev .*: Neo4j, then gmail rag/);
    expect(r.stdout).toContain("would run: docker stop c-gmail-1 c-rag-1 c-monitor");
    expect(r.stdout).toMatch(/volumes\/gmail-data \/target/);
    expect(r.stdout).toMatch(/volumes\/rag-data \/target/);
    expect(r.stdout).toContain("would run: docker start c-gmail-1 c-rag-1 c-monitor");
    expect(r.stdout.indexOf("docker stop c-neo4j")).toBeLessThan(r.stdout.indexOf("volumes/gmail-data"));
    expect(mutating(s)).toEqual([]);
  });

  it("offline dump (maintenance window): stop Neo4j, neo4j-admin database dump neo4j and system, start it", () => {
    const s = sandbox();
    fakeDocker(s);
    const r = sh(s, RESTORE, ["--dry-run", "--stack", "dev", "offline-dump"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("would run: docker stop c-neo4j");
    expect(r.stdout).toMatch(/neo4j-admin database dump system --to-path=\/data\/dumps .*neo4j-admin database dump neo4j --to-path=\/data\/dumps/);
    expect(r.stdout).toContain("would run: docker start c-neo4j");
    expect(mutating(s)).toEqual([]);
  });

  it("names the fix when the stack is not deployed", () => {
    const s = sandbox();
    fs.writeFileSync(path.join(s.bin, "docker"), "#!/usr/bin/env bash\nexit 0\n", { mode: 0o755 });
    const r = sh(s, RESTORE, ["--dry-run", "--stack", "dev", "service", "neo4j"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no Neo4j container .* deploy the stack first/);
  });
});
