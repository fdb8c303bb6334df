// npm run bench -- backup: backups on the real engine with a large generated graph plus volume data.
// It runs the measuring tests of test/e2e/backup.e2e.ts (deploy, load, first and incremental backup,
// restic restore throughput, Neo4j and gmail restores) with BENCH_BACKUP_PEOPLE Person nodes (default
// 4,000: 5,000 nodes and 15,000 relationships, about 8 minutes here; 160,000 gives the 200,000
// nodes and 600,000 relationships, whose Neo4j restore replays for hours on 2 cores: bench/README.md) and
// BENCH_BACKUP_VOLUME_MB of random bytes in gmail's volume (default 1,000), then reads the figures that
// run recorded. It needs what the
// end-to-end suite needs (the CI toolchain, root, a network namespace: see docs/development.md);
// BENCH_BACKUP_FIGURES_ONLY=1 only reads the figures of the latest run.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { FIGURES } from "./engine";
import type { Section } from "./run";

const ROOT = path.resolve(__dirname, "..");
// The tests that measure; the drills and the tampering are the suite's (CI) business, not the bench's.
const MEASURING = "comes up|backs up a generated graph|restore throughput|restores Neo4j|restores gmail";

interface Figure {
  value: number;
  unit: string;
  note: string;
  at: string;
}

export function backupSection(): Section {
  const people = Number(process.env.BENCH_BACKUP_PEOPLE ?? 4_000);
  const volumeMb = Number(process.env.BENCH_BACKUP_VOLUME_MB ?? 1000);
  const started = new Date().toISOString();
  const columns = ["figure", "value", "note", "measured"];
  let failed = "";
  if (!process.env.BENCH_BACKUP_FIGURES_ONLY) {
    console.log(`Backups: test/e2e/backup.e2e.ts with ${people} Person nodes and ${volumeMb} MB of volume data (tens of minutes)`);
    const r = spawnSync(
      path.join(ROOT, "node_modules/.bin/vitest"),
      ["run", "--config", "test/e2e/vitest.config.mts", "test/e2e/backup.e2e.ts", "-t", MEASURING],
      { cwd: ROOT, stdio: "inherit", env: { ...process.env, MCP_E2E_BACKUP_PEOPLE: String(people), MCP_E2E_BACKUP_VOLUME_MB: String(volumeMb) } },
    );
    if (r.status !== 0) failed = `the end-to-end run exited ${r.status}: figures below are partial`;
  }
  if (!fs.existsSync(FIGURES)) {
    const reason = `no figures at ${FIGURES}: the end-to-end run could not record any (the CI toolchain and root are needed)`;
    return { title: "Backups on the real engine", columns, rows: [["skipped", reason, "", ""]], data: { skipped: reason } };
  }
  const all = JSON.parse(fs.readFileSync(FIGURES, "utf8")) as Record<string, Figure>;
  const since = process.env.BENCH_BACKUP_FIGURES_ONLY ? "" : started;
  const mine = Object.entries(all).filter(([n, f]) => /^(backup|restore): /.test(n) && f.at >= since);
  const rows = mine.map(([n, f]) => [n, `${Number.isInteger(f.value) ? f.value : f.value.toFixed(1)} ${f.unit}`, f.note, f.at.slice(0, 16).replace("T", " ")]);
  if (failed) rows.push([failed, "", "", ""]);
  return { title: `Backups on the real engine (${people + Math.floor(people / 4)} nodes, ${volumeMb} MB of volume data)`, columns, rows, data: { people, volumeMb, failed, figures: Object.fromEntries(mine) } };
}
