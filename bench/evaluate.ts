// One measurement, in a process of its own: either the floor (load the Pulumi SDK and the providers the
// program uses, set up the same mocks, declare nothing) or the real program for a stack. Prints JSON.
// Usage: tsx bench/evaluate.ts floor | program <stack> [replicas]
import { performance } from "perf_hooks";

// The SDK modules index.ts loads, directly or through components/.
export const SDK_MODULES = ["@pulumi/pulumi", "@pulumi/docker", "@pulumi/random", "@pulumi/command"];

async function floor(): Promise<{ ms: number; resources: number }> {
  const t0 = performance.now();
  const mods = await Promise.all(SDK_MODULES.map((m) => import(m)));
  const pulumi = mods[0] as typeof import("@pulumi/pulumi");
  pulumi.runtime.setAllConfig({}, []);
  await pulumi.runtime.setMocks(
    { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs },
    "mcp-platform",
    "floor",
    false,
  );
  return { ms: performance.now() - t0, resources: 0 };
}

async function program(stack: string, replicas?: number): Promise<{ ms: number; resources: number }> {
  const t0 = performance.now();
  const { evaluateStack } = await import("../test/harness/program");
  const { stackConfig } = await import("../test/harness/stack-files");
  const config: Record<string, string> = {};
  if (replicas !== undefined) {
    const services = JSON.parse(stackConfig(stack)["mcp-platform:services"] ?? "{}") as Record<string, Record<string, unknown>>;
    for (const name of ["gmail", "graphiti", "rag"]) services[name] = { ...services[name], replicas };
    config["mcp-platform:services"] = JSON.stringify(services);
  }
  const ev = await evaluateStack(stack, { config });
  return { ms: performance.now() - t0, resources: ev.resources.length };
}

async function main() {
  const [what, stack, replicas] = process.argv.slice(2);
  const result = what === "floor" ? await floor() : await program(stack ?? "dev", replicas ? Number(replicas) : undefined);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // The Pulumi runtime keeps handles open; the measurement is done.
  process.exit(0);
}

void main();
