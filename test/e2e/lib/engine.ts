// The Docker engines of the suite (.ci/toolchain/engine.sh), and the docker CLI pointed at one of them.
import * as path from "path";
import { ROOT } from "../../harness/stack-files";
import { run, type RunResult } from "./run";

const ENGINE_SH = path.join(ROOT, ".ci/toolchain/engine.sh");

export interface Engine {
  name: string;
  // unix:///var/lib/mcp-platform-e2e/<name>/run/docker.sock
  host: string;
  docker(args: string[], opts?: { allowFail?: boolean; input?: string; timeoutMs?: number }): Promise<RunResult>;
}

export function engine(name: string, host: string): Engine {
  return {
    name,
    host,
    docker: (args, opts = {}) => run("docker", ["-H", host, ...args], opts),
  };
}

// Starts an engine (or finds it running). `registryMirror` makes docker.io pulls go to the suite's
// registry on loopback first, so images are pulled by the names and digests prod uses.
export async function startEngine(name: string, opts: { netns?: string; registryMirror?: string; extraArgs?: string[] } = {}): Promise<Engine> {
  const args = [...(opts.registryMirror ? [`--registry-mirror=${opts.registryMirror}`] : []), ...(opts.extraArgs ?? [])];
  const r = await run("bash", [ENGINE_SH, "start", name, ...(opts.netns ? [opts.netns] : [])], {
    env: { ...process.env, MCP_ENGINE_ARGS: args.join(" ") },
    timeoutMs: 120_000,
  });
  return engine(name, r.stdout.trim().split("\n").pop()!);
}

export async function stopEngine(name: string): Promise<void> {
  await run("bash", [ENGINE_SH, "stop", name], { allowFail: true, timeoutMs: 60_000 });
}

// Everything a stack left behind, removed: containers, networks, volumes (images stay: they are cached).
export async function cleanEngine(e: Engine): Promise<void> {
  const ids = async (args: string[]) => (await e.docker(args)).stdout.split("\n").filter(Boolean);
  const containers = await ids(["ps", "-aq"]);
  if (containers.length) await e.docker(["rm", "-f", "-v", ...containers]);
  const volumes = await ids(["volume", "ls", "-q"]);
  if (volumes.length) await e.docker(["volume", "rm", "-f", ...volumes]);
  await e.docker(["network", "prune", "-f"]);
}
