// npm run bench: each figure measured several times in this run, reported as median and spread, and as a
// ratio to a floor measured in the same run. Prints a table and writes bench/results.json.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { backupSection } from "./backup";
import { engineSection } from "./engine";
import { gatewaySection } from "./gateway";
import { spread, summarize, type Summary } from "./stats";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

export interface Section {
  title: string;
  columns: string[];
  rows: string[][];
  data: Record<string, unknown>;
}

// A child process per measurement: module loading is part of what is measured, and must start cold.
function measureChild(args: string[]): { ms: number; resources: number } {
  const out = execFileSync(TSX, [path.join(__dirname, "evaluate.ts"), ...args], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return JSON.parse(out.trim().split("\n").pop()!) as { ms: number; resources: number };
}

function repeat(runs: number, args: string[]): { time: Summary; resources: number } {
  const samples: number[] = [];
  let resources = 0;
  // Interleaving is done by the caller; one warm-up run fills the OS file cache.
  measureChild(args);
  for (let i = 0; i < runs; i++) {
    const r = measureChild(args);
    samples.push(r.ms);
    resources = r.resources;
  }
  return { time: summarize(samples), resources };
}

export function programSection(): Section {
  const floor = repeat(RUNS, ["floor"]);
  const rows: string[][] = [["floor (SDK + providers, no resources)", spread(floor.time, " ms"), "0", "1.00"]];
  const data: Record<string, unknown> = { floor: floor.time };
  for (const stack of ["dev", "prod"]) {
    const r = repeat(RUNS, ["program", stack]);
    const ratio = r.time.median / floor.time.median;
    rows.push([`program, ${stack} stack`, spread(r.time, " ms"), String(r.resources), ratio.toFixed(2)]);
    data[stack] = { ...r, ratioToFloor: ratio };
  }
  return { title: "Program evaluation under mocks (whole process work after start-up)", columns: ["what", "time median (p25–p75)", "resources", "× floor"], rows, data };
}

export function scalingSection(): Section {
  const rows: string[][] = [];
  const data: Record<string, unknown> = {};
  const runs = Math.max(3, Math.floor(RUNS / 2));
  for (const replicas of [1, 10, 50, 100]) {
    const r = repeat(runs, ["program", "prod", String(replicas)]);
    const perResource = r.time.median / r.resources;
    rows.push([String(replicas), spread(r.time, " ms"), String(r.resources), `${perResource.toFixed(1)} ms`]);
    data[replicas] = { ...r, msPerResource: perResource };
  }
  return { title: "Scaling: prod with N replicas per MCP server", columns: ["replicas", "time median (p25–p75)", "resources", "time per resource"], rows, data };
}

interface PolicyFigure {
  resources: number;
  containers: number;
  pairs: number;
  time: Summary;
  usPerPair: number;
}

export function policySection(): Section {
  const out = execFileSync(TSX, [path.join(__dirname, "policies.ts"), String(RUNS)], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const data = JSON.parse(out.trim().split("\n").pop()!) as Record<string, PolicyFigure> & { policies: number };
  const sizes = ["prod", "100", "1000", "10000"];
  const rows = sizes.map((k) => {
    const f = data[k]!;
    return [k === "prod" ? "prod stack" : `${Number(k).toLocaleString("en")} containers`, String(f.resources), f.pairs.toLocaleString("en"), spread(f.time, " ms"), `${f.usPerPair.toFixed(1)} µs`];
  });
  // Linear: ten times the resources should cost about ten times the time.
  const growth = data["10000"]!.time.median / data["1000"]!.time.median;
  const resourceGrowth = data["10000"]!.resources / data["1000"]!.resources;
  rows.push([`1,000 → 10,000: time ×${growth.toFixed(2)} for resources ×${resourceGrowth.toFixed(2)}`, "", "", "", ""]);
  return {
    title: `Policy pack: all ${data.policies} policies (prod config), resource-policy pairs`,
    columns: ["stack", "resources", "pairs", "time median (p25–p75)", "time per pair"],
    rows,
    data: { ...data, growth10x: growth },
  };
}

export function renderTable(s: Section): string {
  const widths = s.columns.map((c, i) => Math.max(c.length, ...s.rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [`### ${s.title}`, "", line(s.columns), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...s.rows.map(line)].join("\n");
}

export const SECTIONS: Record<string, () => Section | Promise<Section>> = {
  program: programSection,
  scaling: scalingSection,
  policies: policySection,
  gateway: () => gatewaySection(RUNS),
  engine: engineSection,
};
// Sections run only when named (npm run bench -- backup): each takes tens of minutes on the real engine.
export const ON_REQUEST: Record<string, () => Section | Promise<Section>> = {
  backup: backupSection,
};

async function main() {
  const only = process.argv.slice(2);
  const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown", node: process.version, runs: RUNS };
  const results: Record<string, unknown> = { date: new Date().toISOString(), machine };
  console.log(`Machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, ${RUNS} runs per figure\n`);
  for (const [name, section] of [...Object.entries(SECTIONS), ...Object.entries(ON_REQUEST)]) {
    if (only.length ? !only.includes(name) : name in ON_REQUEST) continue;
    const s = await section();
    results[name] = s.data;
    console.log(`${renderTable(s)}\n`);
  }
  // A run of some sections keeps the other sections' figures from the file, each with its run's date and machine.
  const file = path.join(__dirname, "results.json");
  const previous = only.length && fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : {};
  const runs = { ...((previous.sectionRuns as Record<string, unknown> | undefined) ?? {}) };
  for (const name of [...Object.keys(SECTIONS), ...Object.keys(ON_REQUEST)]) {
    if (name in results) runs[name] = { date: results.date, machine };
    else if (name in previous && !(name in runs)) runs[name] = { date: previous.date, machine: previous.machine };
  }
  fs.writeFileSync(file, `${JSON.stringify({ ...previous, ...results, sectionRuns: runs }, null, 2)}\n`);
  console.log("Wrote bench/results.json");
}

if (require.main === module) void main();
