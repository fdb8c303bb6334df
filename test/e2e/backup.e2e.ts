// Backups for real: a stack with Neo4j (the stand-in built from Maven Central, APOC included), gmail and
// the backup container on the suite's engine. A generated graph and gmail files are backed up into the
// restic repository, changed and deleted, and restored with restore.sh from this host (its helpers on
// the engine); the graph must equal the snapshot's record and gmail's volume be byte-identical. The
// restore drill fails saying why on a snapshot whose record the graph does not match; a tampered pack is
// found by restic check and refused by restore before anything stops; the drill runs on its schedule and
// passes. Figures: backup, incremental, restore and drill durations. The graph is small (CI runs this
// file); `npm run bench -- backup` runs the large one (bench/backup.ts).
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../harness/stack-files";
import { loadAverage, pollUntil, ready, recordFigure, tryReady } from "./lib/context";
import type { Engine } from "./lib/engine";
import { run } from "./lib/run";
import { describeResult, E2EStack } from "./lib/stack";

const NAME = "e2e-backup";
const RESTORE = path.join(ROOT, "components/backup/restore.sh");
const SECRETS = {
  openaiApiKey: "sk-e2e-stand-in-not-a-key",
  gmailOauthKeys: JSON.stringify({ installed: { client_id: "e2e-client", client_secret: "e2e-secret" } }),
};
// The generated graph: Person nodes (unique uid: APOC's export keys them by it), Document nodes (no
// constraint: keyed by APOC's import id), KNOWS relationships with properties. The bench sets larger
// sizes.
const PEOPLE = Number(process.env.MCP_E2E_BACKUP_PEOPLE ?? 1000);
const DOCUMENTS = Math.floor(PEOPLE / 4);
const KNOWS = (PEOPLE + DOCUMENTS) * 3;
// Random bytes in gmail's volume (incompressible, as restic sees most volume data); the bench sets more.
const VOLUME_MB = Number(process.env.MCP_E2E_BACKUP_VOLUME_MB ?? 3);
// Each figure with the machine's load average when it was taken.
const figure = (name: string, value: number, unit: string, note = "") => recordFigure(name, value, unit, [note, `load ${loadAverage()}`].filter(Boolean).join("; "));

interface Status {
  lastVerifiedBackup: string | null;
  snapshotId?: string;
  sizeBytes?: number;
  addedBytes?: number;
  durationSeconds?: number;
  lastRun?: { time: string; ok: boolean; error: string | null };
  lastRestoreDrill?: { time: string; ok: boolean; error: string | null; durationSeconds?: number };
}

describe("backups on restic with a real Neo4j", () => {
  let stack: E2EStack;
  let e: Engine;
  const seconds = (since: number) => (Date.now() - since) / 1000;

  const containerOf = async (service: string): Promise<string> => {
    const rows = (await e.docker(["ps", "-a", "--filter", `label=service=${service}`, "--format", '{{.ID}} {{.Label "component"}}'])).stdout;
    const id = rows.split("\n").find((l) => l && !l.endsWith(" volume-init"))?.split(" ")[0];
    if (!id) throw new Error(`no ${service} container`);
    return id;
  };
  const inBackup = async (script: string, allowFail = false) =>
    e.docker(["exec", await containerOf("backup"), "bash", "-c", script], { allowFail, timeoutMs: 20 * 60_000 });
  const status = async (): Promise<Status> => JSON.parse((await inBackup("cat /backups/status.json")).stdout) as Status;
  const cypher = async (query: string) =>
    (
      await e.docker(["exec", "-i", "-e", "LANG=C.UTF-8", "-e", "LC_ALL=C.UTF-8", await containerOf("neo4j"), "sh", "-c", 'NEO4J_PASSWORD="${NEO4J_AUTH#*/}" exec cypher-shell -u neo4j -d neo4j --format plain'], {
        input: query,
        timeoutMs: 20 * 60_000,
      })
    ).stdout;
  const restore = (args: string[]) =>
    run("bash", [RESTORE, "--stack", NAME, ...args], {
      env: { ...process.env, DOCKER_HOST: e.host, RESTORE_ENVIRONMENT: "dev" },
      allowFail: true,
      timeoutMs: 30 * 60_000,
    });
  // The live graph's record, as backup.sh computes it, and one a snapshot holds.
  const liveRecord = async () => JSON.parse((await inBackup("bash /opt/backup/backup.sh record")).stdout) as Record<string, unknown>;
  const snapshotRecord = async (id: string) =>
    JSON.parse((await inBackup(`restic --no-cache dump ${id} /backups/export/neo4j/graph.json`)).stdout) as Record<string, unknown>;
  // gmail's volume as path, mode, owner, size and sha256 of every entry, read by a helper container.
  const gmailVolume = async () => {
    const image = (await e.docker(["inspect", "-f", "{{.Config.Image}}", await containerOf("backup")])).stdout.trim();
    return (
      await e.docker([
        "run", "--rm", "--network", "none", "--user", "0:0", "-v", `mcp-${NAME}-gmail-data:/v:ro`, "--entrypoint", "bash", image, "-c",
        "cd /v && find . -printf '%P %m %U:%G %s\\n' | sort && find . -type f -exec sha256sum {} + | sort",
      ])
    ).stdout;
  };
  const writeGmail = async (script: string) => {
    const image = (await e.docker(["inspect", "-f", "{{.Config.Image}}", await containerOf("backup")])).stdout.trim();
    await e.docker(["run", "--rm", "--network", "none", "--user", "1000:1000", "-v", `mcp-${NAME}-gmail-data:/v`, "--entrypoint", "bash", image, "-c", script]);
  };
  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> =>
    (await pollUntil(what, probe, { timeoutMs, intervalMs: 3000 })).value;

  beforeAll(async () => {
    const r = tryReady();
    if (!r) return;
    e = r.engine;
    stack = new E2EStack(NAME, r.toolchain);
    await stack.init({
      base: "dev",
      config: {
        dockerHost: r.engineHost,
        sourceRoot: r.images.sourceRoot,
        // Neo4j, gmail and the backups: what this file exercises.
        services: { gmail: { replicas: 1, memoryMb: 256, cpus: 0.5 }, graphiti: { enabled: false }, rag: { enabled: false } },
        healthMonitor: { enabled: false },
        // The suite's backup image (built once per engine, as dev.e2e.ts's stack builds it), not a build per run.
        backup: { image: r.images.backup, rpoMinutes: 1440, schedules: [{ name: "nightly", cron: "30 2 * * *" }] },
      },
      secrets: SECRETS,
    });
  });

  afterAll(async () => {
    const r = tryReady();
    if (r && stack) await stack.op({ op: "destroy" }).catch(() => undefined);
  });

  let baseline = "";
  let snapshot = "";
  let rto = 0;

  it("comes up, the scheduler's catch-up backup is verified, and a second `pulumi up` changes nothing", async (ctx) => {
    ready(ctx);
    const t0 = Date.now();
    const up = await stack.op({ op: "up", policyConfig: "dev" });
    expect(up.ok, describeResult(up)).toBe(true);
    figure("backup: pulumi up of Neo4j, gmail and the backup container", seconds(t0), "s");
    const first = await waitFor("the catch-up backup", async () => ((await status()).lastRun ? status() : undefined), 5 * 60_000);
    expect(first.lastRun, JSON.stringify(first)).toMatchObject({ ok: true });
    figure("backup: the scheduler's catch-up run at its start (empty graph)", first.durationSeconds!, "s");
    const again = await stack.op({ op: "up", policyConfig: "dev", expectNoChanges: true });
    expect(again.ok, describeResult(again)).toBe(true);
    expect(again.steps).toEqual([]);
  });

  it("backs up a generated graph and gmail's files; the snapshot's record is the live graph's; the second run is incremental", async (ctx) => {
    ready(ctx);
    const load = Date.now();
    await cypher(`CREATE CONSTRAINT person_uid IF NOT EXISTS FOR (p:Person) REQUIRE p.uid IS UNIQUE;
CREATE INDEX document_title IF NOT EXISTS FOR (d:Document) ON (d.title);
UNWIND range(0, ${PEOPLE - 1}) AS i CALL { WITH i CREATE (:Person {uid: i, name: 'person-' + i, score: i * 0.5, tags: ['t' + (i % 7), 'x'], note: 'line one\\nline "two" \\\\ Zürich', born: date('1990-01-01') + duration({days: i % 3650})}) } IN TRANSACTIONS OF 10000 ROWS;
UNWIND range(0, ${DOCUMENTS - 1}) AS i CALL { WITH i CREATE (:Document:Searchable {title: 'doc-' + i, size: i, body: 'text ' + i}) } IN TRANSACTIONS OF 10000 ROWS;
UNWIND range(0, ${KNOWS - 1}) AS j CALL { WITH j MATCH (a:Person {uid: j % ${PEOPLE}}), (b:Person {uid: (j * 7 + 13) % ${PEOPLE}}) CREATE (a)-[:KNOWS {since: j, weight: j % 10}]->(b) } IN TRANSACTIONS OF 10000 ROWS;
`);
    figure(`backup: load the generated graph (${PEOPLE + DOCUMENTS} nodes, ${KNOWS} relationships)`, seconds(load), "s");
    await writeGmail(`head -c ${VOLUME_MB * 1_000_000} /dev/urandom > /v/blob.bin && echo '{"refresh_token":"r-1"}' > /v/token.json && chmod 600 /v/token.json && mkdir -p /v/sub && echo x > /v/sub/.hidden`);
    baseline = await gmailVolume();
    expect(baseline).toContain("token.json 600 1000:1000");

    const t0 = Date.now();
    snapshot = (await inBackup("bash /opt/backup/backup.sh run e2e")).stdout.trim();
    const full = await status();
    figure("backup: first run with the generated graph (export, snapshot, check)", seconds(t0), "s", `${full.sizeBytes} bytes processed`);
    expect(full).toMatchObject({ snapshotId: snapshot, lastRun: { ok: true } });
    const record = await snapshotRecord(snapshot);
    expect(record).toMatchObject({ nodes: PEOPLE + DOCUMENTS, relationships: KNOWS, labels: { Person: PEOPLE, Document: DOCUMENTS, Searchable: DOCUMENTS }, types: { KNOWS } });
    expect(record).toEqual(await liveRecord());
    // The export holds statements for every node: APOC streamed the graph (the stand-in's APOC once returned nothing).
    const exported = (await inBackup(`restic --no-cache dump ${snapshot} /backups/export/neo4j/neo4j.cypher | wc -c`)).stdout.trim();
    expect(Number(exported)).toBeGreaterThan(PEOPLE * 20);

    await writeGmail("echo more > /v/sub/added.txt");
    const t1 = Date.now();
    const second = (await inBackup("bash /opt/backup/backup.sh run e2e")).stdout.trim();
    const inc = await status();
    figure("backup: second run (incremental: graph unchanged, one file added)", seconds(t1), "s", `${inc.addedBytes} bytes added`);
    expect(inc.snapshotId).toBe(second);
    expect(inc.addedBytes!).toBeLessThan(full.addedBytes! / 5);
    figure("backup: data added by the incremental run", inc.addedBytes!, "bytes");
    // Retention keeps one snapshot per hour: the second replaced the first. The restores below use it,
    // and gmail as it was then; the graph's record is unchanged.
    snapshot = second;
    baseline = await gmailVolume();
    expect(await snapshotRecord(second)).toEqual(record);
  });

  it("measures restic restore throughput (restore --verify of the whole snapshot) against a plain copy of the same files", async (ctx) => {
    ready(ctx);
    // Where restore.sh restores: a helper container of the backup image with the backup container's
    // volumes (not inside the backup container, whose CPU limit is for its scheduled runs).
    const backup = await containerOf("backup");
    const image = (await e.docker(["inspect", "-f", "{{.Config.Image}}", backup])).stdout.trim();
    const helper = (script: string) =>
      e.docker(
        ["run", "--rm", "--network", "none", "--user", "0:0", "--volumes-from", backup, "-e", "RESTIC_REPOSITORY=/backups/restic",
          "-e", "RESTIC_PASSWORD_FILE=/run/backup-secrets/restic-password", "--entrypoint", "bash", image, "-c", script],
        { timeoutMs: 30 * 60_000 },
      );
    const out = (
      await helper(`set -e; rm -rf /backups/speed /backups/speed-copy
s=$(date +%s.%N); restic --no-cache restore ${snapshot} --target /backups/speed --verify >/dev/null; e=$(date +%s.%N)
b=$(du -sb /backups/speed | cut -f1)
s2=$(date +%s.%N); cp -a /backups/speed /backups/speed-copy; e2=$(date +%s.%N)
rm -rf /backups/speed /backups/speed-copy
awk -v b="$b" -v r="$(awk -v s="$s" -v e="$e" 'BEGIN{print e-s}')" -v c="$(awk -v s="$s2" -v e="$e2" 'BEGIN{print e-s}')" 'BEGIN{print b, r, c}'`)
    ).stdout.trim();
    const [bytes, restoreS, copyS] = out.split(" ").map(Number) as [number, number, number];
    expect(bytes).toBeGreaterThan(VOLUME_MB * 1_000_000);
    const mbps = bytes / 1e6 / restoreS;
    figure("restore: restic restore --verify throughput, whole snapshot", mbps, "MB/s", `${bytes} bytes in ${restoreS.toFixed(1)} s; floor (cp -a of the same files) ${(bytes / 1e6 / copyS).toFixed(0)} MB/s`);
  });

  it("restores Neo4j after changes and deletions: the graph equals the snapshot's record", async (ctx) => {
    ready(ctx);
    await cypher(`MATCH (p:Person) WHERE p.uid % 10 = 0 DETACH DELETE p;
MATCH (d:Document) SET d.size = -1;
CREATE (:Intruder {x: 1});`);
    expect(await liveRecord()).not.toEqual(await snapshotRecord(snapshot));
    const t0 = Date.now();
    const r = await restore(["service", "neo4j"]);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    rto = seconds(t0);
    figure("restore: Neo4j from the snapshot (check --read-data, stage, replay, compare)", rto, "s");
    expect(r.stderr).toMatch(/Neo4j holds what the snapshot recorded/);
    expect(await liveRecord()).toEqual(await snapshotRecord(snapshot));
  });

  it("restores gmail's volume alone, byte-identical to the backup", async (ctx) => {
    ready(ctx);
    await writeGmail("rm /v/token.json && head -c 1000 /dev/urandom > /v/blob.bin && echo new > /v/new.txt");
    expect(await gmailVolume()).not.toBe(baseline);
    const t0 = Date.now();
    const r = await restore(["service", "gmail"]);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    rto += seconds(t0);
    figure("restore: RTO, Neo4j then gmail restored one after the other", rto, "s");
    expect(await gmailVolume()).toBe(baseline);
  });

  let drilled = "";
  it("fails the drill, saying why, on a snapshot whose record the restored graph does not match", async (ctx) => {
    ready(ctx);
    // A snapshot like the last, but its record claims one Person more than the export holds.
    await inBackup(`set -e
rm -rf /backups/craft /backups/export
restic --no-cache restore latest --host mcp-${NAME} --target /backups/craft --include /backups/export/neo4j >/dev/null
mkdir -p /backups/export && mv /backups/craft/backups/export/neo4j /backups/export/
jq '.nodes += 1 | .labels.Person += 1' /backups/export/neo4j/graph.json > /backups/export/g && mv /backups/export/g /backups/export/neo4j/graph.json
restic --no-cache backup --host mcp-${NAME} --tag crafted /backups/export >/dev/null
rm -rf /backups/craft /backups/export`);
    const crafted = JSON.parse((await inBackup("restic --no-cache snapshots --json --tag crafted")).stdout) as { id: string }[];
    expect(crafted).toHaveLength(1);
    const t0 = Date.now();
    const r = await restore(["drill"]);
    expect(r.status).not.toBe(0);
    const why = new RegExp(`the restored graph differs from snapshot [0-9a-f]{8}'s record: nodes: ${PEOPLE + DOCUMENTS + 1} recorded, ${PEOPLE + DOCUMENTS} restored; labels Person: ${PEOPLE + 1} recorded, ${PEOPLE} restored`);
    expect(r.stderr).toMatch(why);
    figure("drill: a drill that fails (restore the export, scratch Neo4j, replay, compare)", seconds(t0), "s");
    const failed = (await status()).lastRestoreDrill;
    expect(failed).toMatchObject({ ok: false, error: expect.stringMatching(why) as unknown });
    drilled = failed!.time;
    // Forgotten by its id (forget with a tag but no policy removes nothing): the latest is the real one again.
    await inBackup(`restic --no-cache forget ${crafted[0]!.id}`);
    expect(JSON.parse((await inBackup("restic --no-cache snapshots --json --tag crafted")).stdout)).toEqual([]);
  });

  it("finds a tampered pack with restic check, and refuses to restore from it before stopping anything", async (ctx) => {
    ready(ctx);
    const gmail = await containerOf("gmail");
    const started = (await e.docker(["inspect", "-f", "{{.State.StartedAt}}", gmail])).stdout.trim();
    // One byte of the largest pack file, flipped; kept to put back afterwards.
    const flip = `f=$(find /backups/restic/data -type f -printf '%s %p\\n' | sort -n | tail -n 1 | cut -d' ' -f2)
off=$(( $(stat -c %s "$f") / 2 )); b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
chmod u+w "$f"; printf "\\\\$(printf %o $(( 255 - b )))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none; chmod a-w "$f"`;
    await inBackup(flip);
    const check = await inBackup("restic --no-cache check --read-data 2>&1", true);
    expect(check.status).not.toBe(0);
    expect(check.stdout).toMatch(/pack [0-9a-f]+|ciphertext verification failed|hash does not match|Fatal/i);
    const r = await restore(["service", "gmail"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/refusing to restore: the repository \/backups\/restic is damaged .*nothing was changed/);
    expect((await e.docker(["inspect", "-f", "{{.State.StartedAt}} {{.State.Status}}", gmail])).stdout.trim()).toBe(`${started} running`);
    expect(await gmailVolume()).toBe(baseline);
    await inBackup(flip);
    expect((await inBackup("restic --no-cache check --read-data 2>&1", true)).status).toBe(0);
  });

  it("runs the restore drill on its schedule: the latest snapshot into a scratch Neo4j, equal to its record, recorded for the monitor", async (ctx) => {
    ready(ctx);
    await stack.pulumi([
      "config", "set", "mcp-platform:backup",
      JSON.stringify({ image: tryReady()!.images.backup, rpoMinutes: 1440, schedules: [{ name: "nightly", cron: "30 2 * * *" }], restoreDrill: { cron: "* * * * *" } }),
    ]);
    const t0 = Date.now();
    const up = await stack.op({ op: "up", policyConfig: "dev" });
    expect(up.ok, describeResult(up)).toBe(true);
    figure("drill: pulumi up of the new drill schedule (the backup container replaced)", seconds(t0), "s");
    const { value: d, seconds: waited } = await pollUntil(
      "a scheduled drill",
      async () => {
        const d = (await status()).lastRestoreDrill;
        return d && d.time > drilled ? d : undefined;
      },
      // Up to a minute until the cron minute, then the drill: about 2-3 minutes at a load of 10-20 on 2 cores.
      { timeoutMs: 5 * 60_000, intervalMs: 3000 },
    );
    expect(d, JSON.stringify(d)).toMatchObject({ ok: true, error: null });
    figure("drill: scheduled drill that passes (restore the export, scratch Neo4j, replay, compare)", d.durationSeconds!, "s", `found ${waited.toFixed(0)} s after the up`);
  });
});
