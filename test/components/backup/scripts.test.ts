// The backup and restore scripts, run for real with bash and the real restic on local repositories in
// temporary directories standing in for the volumes. cypher-shell, neo4j and docker are small fakes on
// PATH: cypher-shell answers from a described graph (and records what is replayed into it), docker runs
// the helper containers' commands here with their paths mapped to the sandbox.
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../harness/stack-files";
import { hasTool as has, skipOrFail } from "../../harness/tools";

const DIR = path.join(ROOT, "components/backup");
const BACKUP = path.join(DIR, "backup.sh");
const RESTORE = path.join(DIR, "restore.sh");
const SCRIPTS = fs.readdirSync(DIR).filter((f) => f.endsWith(".sh"));
const MISSING = ["restic", "jq"].filter((t) => !has(t));
const needTools = (ctx: Parameters<typeof skipOrFail>[0]) =>
  skipOrFail(ctx, MISSING.length ? `${MISSING.join(" and ")} not installed (apt-get install restic jq)` : undefined);

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
  secrets: string;
  graphs: string;
  calls: string;
  env: Record<string, string>;
}

const sandboxes: string[] = [];
afterAll(() => {
  for (const dir of sandboxes) fs.rmSync(dir, { recursive: true, force: true });
});

// The fake graph: one directory of answers per server (neo4j, and 127.0.0.1 for the drill's scratch one).
function describeGraph(dir: string, nodes: number, people: number) {
  fs.mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    nodes: `${nodes}`,
    rels: "1",
    labels: `"City", ${nodes - people}\n"Person", ${people}`,
    types: '"LIVES_IN", 1',
    constraints: '"UNIQUENESS", "NODE", ["Person"], ["name"]',
    indexes: "",
    maxnode: `${nodes - 1}`,
    maxrel: "0",
    // A string with a newline spans two lines of cypher-shell's output: still one node.
    content: [...Array(nodes).keys()].map((i) => `"N", ["${i < people ? "Person" : "City"}"], [["name", "n${i}"], ["note", "two\nlines"]]`).join("\n"),
    relcontent: '"R", "LIVES_IN", [], ["Person"], [["name", "n0"]], ["City"], [["name", "n1"]]',
  };
  for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, k), v ? `${v}\n` : "");
}

function sandbox(): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "backup-test-"));
  sandboxes.push(root);
  const s: Sandbox = {
    root,
    bin: path.join(root, "bin"),
    volumes: path.join(root, "volumes"),
    backups: path.join(root, "backups"),
    share: path.join(root, "share"),
    secrets: path.join(root, "secrets"),
    graphs: path.join(root, "graphs"),
    calls: path.join(root, "calls.log"),
    env: {},
  };
  for (const d of [s.bin, s.volumes, s.backups, s.share, s.secrets]) fs.mkdirSync(d, { recursive: true });
  describeGraph(path.join(s.graphs, "neo4j"), 2, 1);
  const b64 = BATCHES.map((b) => Buffer.from(b).toString("base64"));
  // cypher-shell as Neo4j 5 Community answers: SHOW ROLES is Enterprise only. FAKE_EXPORT_NODES makes
  // APOC report another node count, FAKE_EXPORT_EMPTY returns no rows (what a broken APOC did),
  // FAKE_GROW adds a node during the export, FAKE_REPLAY_LOSES drops a node in the replay.
  fs.writeFileSync(
    path.join(s.bin, "cypher-shell"),
    `#!/usr/bin/env bash
echo "cypher-shell $*" >>"${s.calls}"
[[ -n \${NEO4J_PASSWORD:-} ]] || { echo "no password" >&2; exit 1; }
[[ $* != *"$NEO4J_PASSWORD"* ]] || { echo "password on the command line" >&2; exit 1; }
uri=""; args=("$@")
for ((i = 0; i < \${#args[@]}; i++)); do [[ \${args[i]} == -a ]] && uri=\${args[i+1]}; done
host=\${uri#bolt://}; host=\${host%%:*}
g="${s.graphs}/$host"
[[ -d $g ]] || { echo "Connection refused" >&2; exit 1; }
answer() {
  local q=$1
  case $q in
    "RETURN '@@"*) echo "mcp_section"; printf '"%s"\\n' "$(sed -E "s/^RETURN '(@@[a-z]+)'.*/\\1/" <<<"$q")" ;;
    *"OPTIONAL MATCH ()-[r]->() RETURN nodes, count(r)"*) echo "nodes, count(r), maxNode, max"; echo "$(cat "$g/nodes"), $(cat "$g/rels"), $(cat "$g/maxnode"), $(cat "$g/maxrel")" ;;
    *"RETURN 'label' AS k"*) echo "k, name, v"; sed 's/^/"label", /' "$g/labels"; sed 's/^/"type", /' "$g/types" ;;
    "SHOW CONSTRAINTS"*) echo 'type, entityType, labelsOrTypes, properties'; cat "$g/constraints" ;;
    "SHOW INDEXES"*) echo 'type, entityType, labelsOrTypes, properties'; cat "$g/indexes" ;;
    *"'N' AS mcp_row"*) echo "mcp_row, ls, ps"; cat "$g/content" ;;
    *"'R' AS mcp_row"*) echo "mcp_row, type(r), rp"; cat "$g/relcontent" ;;
    *apoc.export.cypher.all*)
      echo 'b64, nodes, relationships'
      [[ -n \${FAKE_EXPORT_EMPTY:-} ]] && return 0
      n=\${FAKE_EXPORT_NODES:-$(cat "$g/nodes")}
      echo '"${b64[0]}", '"$n"', 0'
      echo '"${b64[1]}", '"$n"', 1'
      if [[ -n \${FAKE_GROW:-} ]]; then echo $(($(cat "$g/nodes") + 1)) >"$g/nodes"; echo '"N", ["Person"], [["name", "grown"]]' >>"$g/content"; fi ;;
    "RETURN 1") printf '1\\n1\\n' ;;
    "SHOW USERS") printf 'user, roles, passwordChangeRequired, suspended, home\\n"neo4j", NULL, FALSE, NULL, NULL\\n' ;;
    *) echo "Unsupported administration command: $q" >&2; return 1 ;;
  esac
}
q="\${*: -1}"
if [[ $q == plain || $q == --fail-at-end ]]; then
  input=$(cat)
  if [[ $input == *mcp_section* || $input == "SHOW USERS;"* ]]; then
    # A batch: one statement a line, each answered with its header; the first error ends it unless
    # --fail-at-end.
    echo "cypher-shell $* <<< $(tr '\\n' ' ' <<<"$input")" >>"${s.calls}"
    rc=0
    while IFS= read -r line; do
      [[ -n $line ]] || continue
      answer "\${line%;}" || { rc=1; [[ $q == --fail-at-end ]] || exit 1; }
    done <<<"$input"
    exit $rc
  fi
  # Statements on stdin: the replay of an export into this server, which then holds the graph.
  printf '%s\\n' "$input" >>"${s.graphs}/replayed-check"
  cp "${s.graphs}/neo4j"/{nodes,rels,labels,types,constraints,indexes,maxnode,maxrel,content,relcontent} "$g/"
  if [[ -n \${FAKE_REPLAY_LOSES:-} ]]; then
    echo 1 >"$g/nodes"; printf '"City", 1\\n' >"$g/labels"; grep -A1 City "$g/content" >"$g/c" || true; mv "$g/c" "$g/content"
  fi
  exit 0
fi
answer "$q"
`,
    { mode: 0o755 },
  );
  // The scratch server of the drill: "starts" by making its graph reachable (empty), then waits.
  fs.writeFileSync(
    path.join(s.bin, "neo4j"),
    `#!/usr/bin/env bash
echo "neo4j $* conf=$NEO4J_CONF" >>"${s.calls}"
grep -q 'auth_enabled=false' "$NEO4J_CONF/neo4j.conf" || exit 1
rm -rf "${s.graphs}/127.0.0.1"; mkdir -p "${s.graphs}/127.0.0.1"
echo 0 >"${s.graphs}/127.0.0.1/nodes"
echo "2026-11-02 10:00:00.000+0000 INFO  Started."
trap 'rm -rf "${s.graphs}/127.0.0.1"; exit 0' TERM
while :; do sleep 0.2; done
`,
    { mode: 0o755 },
  );
  // Volumes: gmail's OAuth token (private), rag's documents (binary, nested, a dotfile, an empty dir),
  // Neo4j's live store (never copied) and the offline dumps the maintenance command wrote.
  write(s, "gmail-data/credentials.json", '{"refresh_token":"r-123"}', 0o600);
  write(s, "gmail-data/tokens/a.json", crypto.randomBytes(3000).toString("hex"));
  write(s, "rag-data/docs/a.bin", crypto.randomBytes(200_000));
  write(s, "rag-data/docs/.index", "idx");
  fs.mkdirSync(path.join(s.volumes, "rag-data/empty"), { recursive: true });
  write(s, "neo4j-logs/neo4j.log", "started\n");
  write(s, "neo4j-data/databases/neo4j/neostore", "live store bytes");
  write(s, "neo4j-data/dumps/neo4j.dump", "offline neo4j dump");
  fs.writeFileSync(path.join(s.share, "platform-config.json"), '{"stack":"test","config":{"backup":{"rpoMinutes":60}}}\n');
  fs.copyFileSync(BACKUP, path.join(s.share, "backup.sh"));
  fs.copyFileSync(RESTORE, path.join(s.share, "restore.sh"));
  fs.writeFileSync(path.join(s.secrets, "restic-password"), "repo-Secret-456", { mode: 0o400 });
  fs.writeFileSync(path.join(s.secrets, "neo4j-password"), "pw-Secret-123", { mode: 0o400 });
  s.env = {
    PATH: `${s.bin}:${process.env.PATH}`,
    BACKUP_DIR: s.backups,
    BACKUP_VOLUMES_DIR: s.volumes,
    BACKUP_SHARE_DIR: s.share,
    BACKUP_STACK: "test",
    BACKUP_RPO_MINUTES: "60",
    BACKUP_CHECK_READ_DATA_SUBSET: "100%",
    RESTIC_PASSWORD_FILE: path.join(s.secrets, "restic-password"),
    NEO4J_PASSWORD_FILE: path.join(s.secrets, "neo4j-password"),
    BACKUP_DRILL_START_SECONDS: "20",
    TMPDIR: root,
    HOME: root,
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
  const r = spawnSync("bash", [script, ...args], { encoding: "utf8", env: { ...s.env, ...env }, cwd: s.root, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function restic(s: Sandbox, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync("restic", ["--no-cache", "-r", path.join(s.backups, "restic"), ...args], { encoding: "utf8", env: { ...s.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Snapshot {
  id: string;
  time: string;
  hostname: string;
  tags: string[];
  paths: string[];
}
const snapshots = (s: Sandbox): Snapshot[] => JSON.parse(restic(s, ["snapshots", "--json"]).stdout || "[]") as Snapshot[];

const T0 = Date.UTC(2026, 10, 2, 10, 0, 0) / 1000; // Monday 2026-11-02 10:00 UTC
const HOUR = 3600;

// One sandbox with one backup at T0, for the checks that only read it (each restic command derives the
// repository key, on purpose slowly: fewer runs keep the file fast).
let sharedRun: { s: Sandbox; id: string } | undefined;
function shared(): { s: Sandbox; id: string } {
  if (!sharedRun) {
    const s = sandbox();
    sharedRun = { s, id: runBackup(s, T0) };
  }
  return sharedRun;
}

function runBackup(s: Sandbox, now: number, env: Record<string, string> = {}) {
  const r = sh(s, BACKUP, ["run", "hourly"], { BACKUP_NOW: String(now), ...env });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
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

const status = (s: Sandbox) => JSON.parse(fs.readFileSync(path.join(s.backups, "status.json"), "utf8")) as Record<string, unknown>;

// A snapshot's file, read back through restic.
function dump(s: Sandbox, snapshot: string, file: string): string {
  const r = restic(s, ["dump", snapshot, file]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe("the backup scripts", () => {
  it(`pass shellcheck: ${SCRIPTS.join(", ")}`, (ctx) => {
    skipOrFail(ctx, has("shellcheck") ? undefined : "shellcheck is not installed (apt-get install shellcheck)");
    expect(SCRIPTS.length).toBeGreaterThanOrEqual(2);
    const r = spawnSync("shellcheck", ["--severity=style", ...SCRIPTS.map((f) => path.join(DIR, f))], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("a backup run (backup.sh run) into a real restic repository", { timeout: 300_000 }, () => {
  it("creates the repository, and snapshots the export, the graph's record, every other volume and the config", (ctx) => {
    needTools(ctx);
    const { s, id } = shared();
    const [snap] = snapshots(s);
    expect(snap!.id.startsWith(id)).toBe(true);
    expect(snap!.hostname).toBe("mcp-test");
    expect(snap!.tags.sort()).toEqual(["schedule=hourly", "stack=test"]);
    expect(snap!.time).toMatch(/^2026-11-02T10:00:00/);
    expect(dump(s, id, `${s.backups}/export/neo4j/neo4j.cypher`)).toBe(EXPORTED);
    const graph = JSON.parse(dump(s, id, `${s.backups}/export/neo4j/graph.json`)) as Record<string, unknown>;
    expect(graph).toMatchObject({ nodes: 2, relationships: 1, labels: { City: 1, Person: 1 }, types: { LIVES_IN: 1 } });
    expect(graph.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(graph.constraints).toEqual(['"UNIQUENESS", "NODE", ["Person"], ["name"]']);
    expect(dump(s, id, `${s.backups}/export/neo4j/system.txt`)).toContain('"neo4j"');
    // Community has no roles: SHOW ROLES's refusal is kept, and the run went on.
    expect(dump(s, id, `${s.backups}/export/neo4j/system.errors`)).toContain("Unsupported administration command: SHOW ROLES");
    expect(dump(s, id, `${s.volumes}/gmail-data/credentials.json`)).toBe('{"refresh_token":"r-123"}');
    expect(dump(s, id, `${s.volumes}/neo4j-data/dumps/neo4j.dump`)).toBe("offline neo4j dump");
    expect(dump(s, id, `${s.share}/platform-config.json`)).toContain('"stack":"test"');
    const ls = restic(s, ["ls", id]).stdout;
    // The live store is never copied as files: the export covers it.
    expect(ls).not.toContain("neostore");
    expect(ls).toContain(`${s.volumes}/rag-data/empty`);
    // The staging directory is gone once the snapshot holds it.
    expect(fs.existsSync(path.join(s.backups, "export"))).toBe(false);
  });

  it("asks cypher-shell for an online APOC export and SHOW USERS, the password only in its environment", (ctx) => {
    needTools(ctx);
    const { s } = shared();
    const calls = fs.readFileSync(s.calls, "utf8");
    expect(calls).toMatch(/-d neo4j --format plain CALL apoc\.export\.cypher\.all\(null, \{stream: true/);
    expect(calls).toContain("-d system --format plain --fail-at-end <<< SHOW USERS; SHOW ROLES;");
    expect(calls).not.toContain("pw-Secret-123");
  });

  it("records the verified snapshot in status.json: time, snapshot id, sizes, duration", (ctx) => {
    needTools(ctx);
    const { s, id } = shared();
    expect(status(s)).toMatchObject({
      stack: "test",
      rpoMinutes: 60,
      lastVerifiedBackup: "2026-11-02T10:00:00Z",
      lastVerifiedBackupEpoch: T0,
      snapshotId: id,
      lastRun: { ok: true, error: null },
      offsite: { enabled: false },
    });
    expect(status(s).sizeBytes as number).toBeGreaterThan(200_000);
    expect(status(s).durationSeconds as number).toBeGreaterThanOrEqual(0);
  });

  it("deduplicates: a second run with one changed file adds only a small part of the first's size", (ctx) => {
    needTools(ctx);
    const s = sandbox();
    runBackup(s, T0);
    const first = status(s).addedBytes as number;
    write(s, "gmail-data/credentials.json", '{"refresh_token":"r-456"}', 0o600);
    runBackup(s, T0 + HOUR);
    const second = status(s);
    expect(first).toBeGreaterThan(200_000);
    expect(second.addedBytes as number).toBeLessThan(first / 10);
    expect(second.filesChanged).toBeGreaterThanOrEqual(1);
  });

  it("answers the RPO check from status.json: ok within the RPO, STALE past it or with no backup", (ctx) => {
    needTools(ctx);
    expect(sh(sandbox(), BACKUP, ["check"]).stdout).toMatch(/no verified backup yet.*STALE/);
    const { s } = shared();
    expect(sh(s, BACKUP, ["check"], { BACKUP_NOW: String(T0 + 1800) })).toMatchObject({ status: 0, stdout: expect.stringMatching(/ok$/m) });
    const late = sh(s, BACKUP, ["check"], { BACKUP_NOW: String(T0 + 2 * HOUR) });
    expect(late.status).toBe(1);
    expect(late.stdout).toMatch(/120 minutes ago, RPO 60 minutes: STALE/);
  });

  describe("an export that does not hold the graph is refused: no snapshot, the reason in status.json", () => {
    const refused = (env: Record<string, string>, why: RegExp) => {
      const s = sandbox();
      const good = runBackup(s, T0);
      const r = sh(s, BACKUP, ["run", "hourly"], { BACKUP_NOW: String(T0 + HOUR), ...env });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(why);
      expect(snapshots(s).map((x) => x.id.slice(0, 8))).toEqual([good]);
      expect(status(s)).toMatchObject({ snapshotId: good, lastVerifiedBackupEpoch: T0, lastRun: { ok: false, error: expect.stringMatching(why) as unknown } });
    };
    it("APOC returns no rows (what the stand-in's APOC did without Guava)", (ctx) => {
      needTools(ctx);
      refused({ FAKE_EXPORT_EMPTY: "1" }, /the export does not hold the graph: APOC exported 0 nodes and 0 relationships in 0 rows, the graph holds 2 and 1/);
    });
    it("APOC exports fewer nodes than the graph holds", (ctx) => {
      needTools(ctx);
      refused({ FAKE_EXPORT_NODES: "1" }, /APOC exported 1 nodes and 1 relationships in 2 rows, the graph holds 2 and 1/);
    });
    it("the graph changes during the export", (ctx) => {
      needTools(ctx);
      refused({ FAKE_GROW: "1" }, /the graph changed during the export/);
    });
    it("Neo4j is down", (ctx) => {
      needTools(ctx);
      const s = sandbox();
      fs.renameSync(path.join(s.graphs, "neo4j"), path.join(s.graphs, "gone"));
      const r = sh(s, BACKUP, ["run", "hourly"], { BACKUP_NOW: String(T0) });
      expect(r.status).toBe(1);
      expect(status(s)).toMatchObject({ lastVerifiedBackup: null, lastRun: { ok: false } });
      expect(snapshots(s)).toEqual([]);
    });
  });

  it("refuses a repository that does not open with its password, and leaves it as it was", (ctx) => {
    needTools(ctx);
    const s = sandbox();
    fs.writeFileSync(path.join(s.root, "other"), "someone-else");
    const init = restic(s, ["init"], { RESTIC_PASSWORD_FILE: path.join(s.root, "other") });
    expect(init.status, init.stderr).toBe(0);
    const before = tree(path.join(s.backups, "restic"));
    const r = sh(s, BACKUP, ["run", "hourly"], { BACKUP_NOW: String(T0) });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/does not open with backup's password \(a foreign repository, or the password changed\)/);
    expect(tree(path.join(s.backups, "restic"))).toEqual(before);
  });

  it("applies retention with restic forget: runs over 30 simulated hours keep the newest 4 hours and 2 days", (ctx) => {
    needTools(ctx);
    const s = sandbox();
    const env = { BACKUP_KEEP_HOURLY: "4", BACKUP_KEEP_DAILY: "2", BACKUP_KEEP_WEEKLY: "1", BACKUP_CHECK_READ_DATA_SUBSET: "1%" };
    // Runs at some of the 30 hours (restic forgets by the snapshots' times, gaps or not).
    for (const h of [0, 5, 13, 20, 26, 27, 28, 29]) runBackup(s, T0 + h * HOUR, env);
    const times = snapshots(s).map((x) => x.time.slice(0, 13)).sort();
    // Newest four hours (Nov 3 12..15 h), and the newest of Nov 2 as its day's (and its week's) copy.
    expect(times).toEqual(["2026-11-02T23", "2026-11-03T12", "2026-11-03T13", "2026-11-03T14", "2026-11-03T15"]);
  });

  it("copies each verified snapshot to the off-host repository, and reports a failed copy without losing the local one", (ctx) => {
    needTools(ctx);
    const s = sandbox();
    const offsite = path.join(s.root, "offsite-repo");
    const id = runBackup(s, T0, { BACKUP_OFFSITE_REPOSITORY: offsite });
    const copied = JSON.parse(
      spawnSync("restic", ["--no-cache", "-r", offsite, "snapshots", "--json"], { encoding: "utf8", env: { ...s.env } }).stdout,
    ) as Snapshot[];
    expect(copied).toHaveLength(1);
    expect(copied[0]!.paths).toEqual(snapshots(s)[0]!.paths);
    expect(status(s), JSON.stringify(status(s))).toMatchObject({ snapshotId: id, offsite: { enabled: true, ok: true, snapshotId: id } });
    const id2 = runBackup(s, T0 + HOUR, { BACKUP_OFFSITE_REPOSITORY: path.join(s.calls, "not-a-directory") });
    expect(status(s)).toMatchObject({ snapshotId: id2, lastRun: { ok: true }, offsite: { enabled: true, ok: false } });
  });
});

// The off-host repository on a real restic REST server: rclone serve restic (Debian's rclone) on
// loopback, TLS with a certificate of its own, a user and password (htpasswd). The URL with the
// credentials reaches backup.sh only as a file, as the container's secret does.
describe("an off-host REST repository (rclone serve restic on loopback, TLS, a password)", { timeout: 300_000 }, () => {
  const servers: ChildProcess[] = [];
  afterAll(() => {
    for (const p of servers) p.kill("SIGTERM");
  });
  const needServer = (ctx: Parameters<typeof skipOrFail>[0]) => {
    needTools(ctx);
    skipOrFail(ctx, ["rclone", "openssl"].every(has) ? undefined : "rclone and openssl are needed (apt-get install rclone openssl)");
  };

  // The server: its certificate, its htpasswd (apr1 hash), its data directory; resolves once it serves.
  async function restServer(s: Sandbox, password: string): Promise<{ url: string; ca: string; data: string }> {
    const dir = path.join(s.root, "rest-server");
    const data = path.join(dir, "data");
    fs.mkdirSync(data, { recursive: true });
    const ca = path.join(dir, "cert.pem");
    const key = path.join(dir, "key.pem");
    const openssl = (args: string[], input?: string) => {
      const r = spawnSync("openssl", args, { encoding: "utf8", input });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", ca, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
    fs.writeFileSync(path.join(dir, "htpasswd"), `mcp:${openssl(["passwd", "-apr1", "-stdin"], `${password}\n`).trim()}\n`, { mode: 0o600 });
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const server = spawn("rclone", ["serve", "restic", "--addr", `127.0.0.1:${port}`, "--htpasswd", path.join(dir, "htpasswd"), "--cert", ca, "--key", key, data], {
      env: { ...s.env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      let log = "";
      server.stderr!.on("data", (b: Buffer) => {
        log += b.toString();
        if (log.includes("Serving restic REST API")) resolve();
      });
      server.on("exit", (code) => reject(new Error(`rclone serve restic exited ${code}: ${log}`)));
    });
    return { url: `https://127.0.0.1:${port}/mcp-test/`, ca, data };
  }

  it("copies each verified snapshot there; the credentials are never printed or recorded; a refused login is reported and the local snapshot still counts", async (ctx) => {
    needServer(ctx);
    const s = sandbox();
    const password = "rest-Secret-789";
    const server = await restServer(s, password);
    const location = path.join(s.secrets, "offsite-repository");
    fs.writeFileSync(location, `rest:${server.url.replace("https://", `https://mcp:${password}@`)}\n`, { mode: 0o400 });
    const env = { BACKUP_OFFSITE_REPOSITORY_FILE: location, BACKUP_OFFSITE_CACERT: server.ca };
    const r = sh(s, BACKUP, ["run", "hourly"], { BACKUP_NOW: String(T0), ...env });
    expect(r.status, r.stderr).toBe(0);
    const id = r.stdout.trim();
    expect(r.stderr).toContain(`copied to rest:${server.url} and checked there`);
    const remote = (extra: string[] = []) =>
      spawnSync("restic", ["--no-cache", "--repository-file", location, "--cacert", server.ca, "snapshots", "--json", ...extra], { encoding: "utf8", env: { ...s.env } });
    const copied = JSON.parse(remote().stdout) as Snapshot[];
    expect(copied).toHaveLength(1);
    expect(copied[0]!.paths).toEqual(snapshots(s)[0]!.paths);
    // The server stores restic's encrypted files only: no file name or content of the backup in clear.
    expect(spawnSync("grep", ["-rl", "r-123", server.data]).status).toBe(1);
    expect(status(s)).toMatchObject({ snapshotId: id, offsite: { enabled: true, ok: true, snapshotId: id } });
    expect(r.stdout + r.stderr + JSON.stringify(status(s))).not.toContain(password);

    // A wrong password: the server refuses (401), the copy is reported failed, nothing is created there.
    fs.chmodSync(location, 0o600);
    fs.writeFileSync(location, `rest:${server.url.replace("https://", "https://mcp:wrong-Secret-000@")}\n`);
    const refused = sh(s, BACKUP, ["run", "hourly"], { BACKUP_NOW: String(T0 + HOUR), ...env });
    expect(refused.status, refused.stderr).toBe(0);
    expect(refused.stderr).toMatch(/cannot be reached: .*401/);
    expect(refused.stdout + refused.stderr + JSON.stringify(status(s))).not.toContain("wrong-Secret-000");
    expect(status(s)).toMatchObject({ snapshotId: refused.stdout.trim(), lastRun: { ok: true }, offsite: { enabled: true, ok: false } });
    // Without the server's CA the TLS handshake fails: nothing is sent in clear or to an unverified peer.
    fs.writeFileSync(location, `rest:${server.url.replace("https://", `https://mcp:${password}@`)}\n`);
    const untrusted = sh(s, BACKUP, ["run", "hourly"], { BACKUP_NOW: String(T0 + 2 * HOUR), BACKUP_OFFSITE_REPOSITORY_FILE: location });
    expect(untrusted.stderr).toMatch(/x509|certificate/);
    expect(status(s)).toMatchObject({ offsite: { enabled: true, ok: false } });
    expect(JSON.parse(remote().stdout) as Snapshot[]).toHaveLength(1);
  });
});

describe("the restore drill (backup.sh drill)", { timeout: 300_000 }, () => {
  it("restores the latest snapshot into a scratch Neo4j, finds the record equal, records it, removes the scratch store", (ctx) => {
    needTools(ctx);
    const s = sandbox();
    const id = runBackup(s, T0);
    const r = sh(s, BACKUP, ["drill"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/identical to its record \(2 nodes, 1 relationships\)/);
    expect(fs.readFileSync(path.join(s.graphs, "replayed-check"), "utf8").length).toBeGreaterThan(0);
    expect(status(s)).toMatchObject({ snapshotId: id, lastRestoreDrill: { ok: true, error: null, snapshotId: id } });
    expect(fs.existsSync(path.join(s.backups, "drill"))).toBe(false);
    expect(fs.existsSync(path.join(s.graphs, "127.0.0.1"))).toBe(false);
  });

  it("fails, and says why, when the restored graph differs from the record", (ctx) => {
    needTools(ctx);
    const s = sandbox();
    runBackup(s, T0);
    const r = sh(s, BACKUP, ["drill"], { FAKE_REPLAY_LOSES: "1" });
    expect(r.status).toBe(1);
    const why = /the restored graph differs from snapshot [0-9a-f]{8}'s record: nodes: 2 recorded, 1 restored; labels Person: 1 recorded, 0 restored/;
    expect(r.stderr).toMatch(why);
    expect(status(s)).toMatchObject({ lastRestoreDrill: { ok: false, error: expect.stringMatching(why) as unknown } });
    expect(fs.existsSync(path.join(s.graphs, "127.0.0.1"))).toBe(false);
  });

  it("fails when there is no snapshot to drill", (ctx) => {
    needTools(ctx);
    const s = sandbox();
    fs.mkdirSync(path.join(s.backups, "restic"));
    expect(restic(s, ["init"]).status).toBe(0);
    const r = sh(s, BACKUP, ["drill"]);
    expect(r.status).toBe(1);
    expect(status(s)).toMatchObject({ lastRestoreDrill: { ok: false, error: "the repository holds no snapshot of stack test yet" } });
  });
});

describe("the scheduler (backup.sh schedule) and its healthcheck", { timeout: 300_000 }, () => {
  it("backs up at once when no backup is newer than the RPO, and reports healthy while it ticks", async (ctx) => {
    needTools(ctx);
    const s = sandbox();
    // The runs' clock pinned (the scheduler's own minute ticks stay real): the catch-up and the manual run
    // must fall in one hour for the retention below, whatever the wall clock says.
    const env = {
      ...s.env,
      BACKUP_SCHEDULES: JSON.stringify([{ name: "nightly", cron: "30 2 * * *" }]),
      BACKUP_DRILL_CRON: "0 4 * * 0",
      BACKUP_NOW: String(T0),
    };
    // Its own process group, so that stopping it also stops the sleep it waits in.
    const child = spawn("bash", [BACKUP, "schedule"], { env, stdio: ["ignore", "ignore", "pipe"], detached: true });
    let log = "";
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    try {
      const statusFile = path.join(s.backups, "status.json");
      for (let i = 0; i < 300 && !fs.existsSync(statusFile); i++) await new Promise((r) => setTimeout(r, 200));
      expect(log).toContain("schedule nightly: 30 2 * * * (UTC)");
      expect(log).toContain("restore drill: 0 4 * * 0 (UTC)");
      expect(status(s)).toMatchObject({ lastSchedule: "catch-up", lastRun: { ok: true } });
      expect(snapshots(s)).toHaveLength(1);
      expect(sh(s, BACKUP, ["health"]).status).toBe(0);
      // A manual run while the scheduler waits: the scheduler holds the run lock only during its runs.
      const manual = sh(s, BACKUP, ["run", "manual"], { BACKUP_NOW: String(T0 + 60) });
      expect(manual.status, manual.stderr).toBe(0);
      // Both in the same hour: retention keeps the newer, the manual one.
      expect(snapshots(s).map((x) => x.id.slice(0, 8))).toEqual([manual.stdout.trim()]);
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

  it("refuses to start without a schedule", (ctx) => {
    needTools(ctx);
    const s = sandbox();
    const r = sh(s, BACKUP, ["schedule"], { BACKUP_SCHEDULES: "[]" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/BACKUP_SCHEDULES names no schedule/);
  });
});

describe("restore checks and staging, run where the repository is (restore.sh precheck, stage, swap)", { timeout: 300_000 }, () => {
  const repoEnv = (s: Sandbox) => ({ RESTIC_REPOSITORY: path.join(s.backups, "restic") });

  it("resolves latest to the stack's newest snapshot, after a full read-back check", (ctx) => {
    needTools(ctx);
    const s = sandbox();
    runBackup(s, T0);
    const second = runBackup(s, T0 + HOUR);
    const r = sh(s, RESTORE, ["precheck", "test", "latest"], repoEnv(s));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().startsWith(second)).toBe(true);
    expect(r.stderr).toContain("restic check --read-data");
    expect(sh(s, RESTORE, ["precheck", "test", second], repoEnv(s)).stdout.trim().startsWith(second)).toBe(true);
  });

  it("restores gmail's volume into an emptied directory byte for byte, modes included, the old files moved aside", (ctx) => {
    needTools(ctx);
    const s = sandbox();
    const original = tree(path.join(s.volumes, "gmail-data"));
    const id = runBackup(s, T0);
    write(s, "gmail-data/credentials.json", "changed after the backup");
    write(s, "gmail-data/new.json", "new");
    const staging = path.join(s.backups, "restore/x");
    const stage = sh(s, RESTORE, ["stage", id, staging, `${s.volumes}/gmail-data`], repoEnv(s));
    expect(stage.status, stage.stderr).toBe(0);
    const old = path.join(s.backups, "pre-restore/x/gmail-data");
    const swap = sh(s, RESTORE, ["swap", `${staging}${s.volumes}/gmail-data`, path.join(s.volumes, "gmail-data"), old], repoEnv(s));
    expect(swap.status, swap.stderr).toBe(0);
    expect(tree(path.join(s.volumes, "gmail-data"))).toEqual(original);
    expect(fs.readFileSync(path.join(old, "new.json"), "utf8")).toBe("new");
  });

  describe("refuses, before anything is written, a repository that is", () => {
    it("damaged: one flipped byte in a pack file", (ctx) => {
      needTools(ctx);
      const s = sandbox();
      const id = runBackup(s, T0);
      const packs = spawnSync("find", [path.join(s.backups, "restic/data"), "-type", "f"], { encoding: "utf8" }).stdout.trim().split("\n");
      const biggest = packs.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!;
      const bytes = fs.readFileSync(biggest);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0xff;
      fs.chmodSync(biggest, 0o644);
      fs.writeFileSync(biggest, bytes);
      const r = sh(s, RESTORE, ["precheck", "test", "latest"], repoEnv(s));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/refusing to restore: the repository .* is damaged \(restic check: .+\); nothing was changed/);
      // Staging, the second line of defence, refuses too, since restore --verify reads the packs.
      const staging = path.join(s.backups, "restore/y");
      const stage = sh(s, RESTORE, ["stage", id, staging, `${s.volumes}/rag-data`], repoEnv(s));
      expect(stage.status).toBe(1);
      expect(stage.stderr).toMatch(/did not restore and verify cleanly into staging; nothing was changed/);
    });

    it("foreign: it does not open with the stack's password", (ctx) => {
      needTools(ctx);
      const { s } = shared();
      fs.writeFileSync(path.join(s.root, "other"), "someone-else");
      const r = sh(s, RESTORE, ["precheck", "test", "latest"], { ...repoEnv(s), RESTIC_PASSWORD_FILE: path.join(s.root, "other") });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/does not open with stack test's password \(a foreign repository\?\); nothing was changed/);
    });

    it("another stack's: it holds no snapshot of this stack", (ctx) => {
      needTools(ctx);
      const { s } = shared();
      const r = sh(s, RESTORE, ["precheck", "prod", "latest"], repoEnv(s));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/holds no snapshot of stack prod \(host mcp-prod\)/);
    });
  });
});

describe("host recovery commands against a docker CLI that runs the helpers here", { timeout: 300_000 }, () => {
  // docker run runs its command here, with the backup container's paths (--volumes-from) and named
  // volumes mapped to the sandbox; stop/start are recorded; containers report healthy.
  function emulatedDocker(s: Sandbox) {
    const vroot = path.join(s.root, "docker-volumes");
    fs.mkdirSync(vroot);
    fs.writeFileSync(
      path.join(s.bin, "docker"),
      `#!/usr/bin/env bash
echo "docker $*" >>"${s.calls}"
case $1 in
run)
  shift
  declare -A map=()
  envs=()
  while (($#)); do
    case $1 in
    --rm) shift ;;
    --volumes-from) map[/backups]="${s.backups}"; map[/volumes]="${s.volumes}"; map[/opt/backup]="${s.share}"; map[/run/backup-secrets]="${s.secrets}"; shift 2 ;;
    --network | --security-opt | --user | --cap-drop | --cap-add | --entrypoint) shift 2 ;;
    -e) envs+=("$2"); shift 2 ;;
    -v) src=\${2%%:*}; rest=\${2#*:}; map[\${rest%%:*}]="${vroot}/$src"; mkdir -p "${vroot}/$src"; shift 2 ;;
    *) shift; break ;;
    esac
  done
  rewrite() {
    local a=$1 d
    for d in "\${!map[@]}"; do [[ $a == "$d" || $a == "$d"/* ]] && { printf '%s' "\${map[$d]}\${a#"$d"}"; return; }; done
    printf '%s' "$a"
  }
  for e in "\${envs[@]}"; do export "\${e%%=*}=$(rewrite "\${e#*=}")"; done
  args=()
  for a in "$@"; do args+=("$(rewrite "$a")"); done
  exec bash "\${args[@]}" ;;
ps)
  case "$*" in
  *"label=service=gmail"*) echo c-gmail-1 ;;
  *"label=service=backup"*) echo c-backup ;;
  esac ;;
inspect)
  case "$*" in
  *Config.Labels*) echo mcp-server ;;
  *Config.Image*) echo mcp-platform/backup:test ;;
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
  const calls = (s: Sandbox) => fs.readFileSync(s.calls, "utf8").split("\n").filter((l) => l.startsWith("docker "));

  it("service gmail: checks, stages, stops it, loads the volume byte for byte into its Docker volume, starts it", (ctx) => {
    needTools(ctx);
    const s = sandbox();
    const vroot = emulatedDocker(s);
    const original = tree(path.join(s.volumes, "gmail-data"));
    runBackup(s, T0);
    fs.mkdirSync(path.join(vroot, "mcp-test-gmail-data"));
    fs.writeFileSync(path.join(vroot, "mcp-test-gmail-data/stale.json"), "stale");
    const r = sh(s, RESTORE, ["--stack", "test", "service", "gmail"], {});
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(tree(path.join(vroot, "mcp-test-gmail-data"))).toEqual(original);
    const order = calls(s).map((c) => (/restore\.sh (precheck|stage|swap)/.exec(c)?.[1] ?? /^docker (stop|start)/.exec(c)?.[1]) ?? "").filter(Boolean);
    expect(order).toEqual(["precheck", "stage", "stop", "swap", "start"]);
  });

  it("refuses a damaged repository before stopping or writing anything", (ctx) => {
    needTools(ctx);
    const s = sandbox();
    emulatedDocker(s);
    runBackup(s, T0);
    for (const f of spawnSync("find", [path.join(s.backups, "restic/data"), "-type", "f"], { encoding: "utf8" }).stdout.trim().split("\n")) {
      fs.chmodSync(f, 0o644);
      fs.appendFileSync(f, "x");
    }
    const r = sh(s, RESTORE, ["--stack", "test", "service", "gmail"], {});
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/refusing to restore: the repository .* is damaged/);
    expect(calls(s).filter((c) => /^docker (stop|start)|restore\.sh (stage|swap)/.test(c))).toEqual([]);
  });

  it("--dry-run checks the repository and prints every change instead of making it", (ctx) => {
    needTools(ctx);
    const s = sandbox();
    emulatedDocker(s);
    runBackup(s, T0);
    const r = sh(s, RESTORE, ["--stack", "test", "--dry-run", "service", "gmail"], {});
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^would run: helper stage [0-9a-f]{64} /m);
    expect(r.stdout).toMatch(/^would run: docker stop c-gmail-1$/m);
    expect(r.stdout).toMatch(/^would run: helper -v mcp-test-gmail-data:\/target swap /m);
    expect(calls(s).filter((c) => /^docker (stop|start)|restore\.sh (stage|swap)/.test(c))).toEqual([]);
  });
});
