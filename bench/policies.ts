// The policy pack's cost, in a process of its own: every policy over the prod stack's resources, and over
// synthetic stacks of N containers (the prod stack with one MCP server's replica cloned up to N). Prints
// JSON: time per resource-policy pair for each size. Usage: tsx bench/policies.ts <runs>
import { performance } from "perf_hooks";
import { policies } from "../policies/policies";
import { runPolicies, type TestResource } from "../test/harness/policy";
import { evaluateStack } from "../test/harness/program";
import { packConfig, resourcesOf } from "../test/policies/program";
import { summarize } from "./stats";

const CONTAINER = "docker:index/container:Container";

// The prod stack with gmail's replica cloned until the stack holds `containers` containers.
function synthetic(prod: TestResource[], containers: number): TestResource[] {
  const template = prod.find((r) => r.type === CONTAINER && r.name === "gmail-1")!;
  const others = prod.filter((r) => r !== template);
  const have = others.filter((r) => r.type === CONTAINER).length;
  const clones: TestResource[] = [];
  for (let i = 1; i <= Math.max(1, containers - have); i++) {
    const labels = (template.props.labels as { label: string; value: string }[]).map((l) =>
      l.label === "dev.mcp-platform.replica" ? { ...l, value: String(i) } : l,
    );
    clones.push({ ...template, name: `gmail-${i}`, props: { ...template.props, labels } });
  }
  return [...others, ...clones];
}

// The prod config, with a host large enough for the synthetic stacks (a violation would end the run early
// for that rule and make the measurement cheaper than a passing stack's).
function benchConfig(containers: number) {
  const config = packConfig("prod");
  const capacity = config["capacity-fits-host"];
  if (typeof capacity === "object") Object.assign(capacity, { hostMemoryMb: 2048 * containers + 4096, hostCpus: 2 * containers });
  return config;
}

async function timeRuns(resources: TestResource[], runs: number) {
  const config = benchConfig(resources.length);
  await runPolicies(policies, resources, config); // warm-up: JIT and module caches
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await runPolicies(policies, resources, config);
    samples.push(performance.now() - t0);
    if (r.mandatory.length) throw new Error(`the benchmark stack has violations: ${r.mandatory.map((d) => d.policy).join(", ")}`);
  }
  const pairs = resources.length * policies.length;
  const time = summarize(samples);
  return { resources: resources.length, containers: resources.filter((r) => r.type === CONTAINER).length, pairs, time, usPerPair: (time.median * 1000) / pairs };
}

async function main() {
  const runs = Number(process.argv[2] ?? 5);
  const prod = resourcesOf(await evaluateStack("prod"));
  const out: Record<string, unknown> = { policies: policies.length, prod: await timeRuns(prod, runs) };
  for (const n of [100, 1_000, 10_000]) out[n] = await timeRuns(synthetic(prod, n), n >= 10_000 ? Math.max(3, Math.ceil(runs / 2)) : runs);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

void main();
