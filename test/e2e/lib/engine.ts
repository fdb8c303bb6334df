// The Docker engines of the suite (.ci/toolchain/engine.sh), and the docker CLI pointed at one of them.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { createInterface } from "readline";
import { ROOT } from "../../harness/stack-files";
import { CommandFailed, run, sleep, type RunResult } from "./run";

const ENGINE_SH = path.join(ROOT, ".ci/toolchain/engine.sh");

export interface Engine {
  name: string;
  // unix:///var/lib/mcp-platform-e2e/<name>/run/docker.sock
  host: string;
  docker(args: string[], opts?: { allowFail?: boolean; input?: string; timeoutMs?: number }): Promise<RunResult>;
}

// runc's init died before the exec'd process started ("waiting for init preliminary setup: read init-p:
// connection reset by peer"): the command never ran. Seen once in CI on a `docker exec` into the idle backup
// container (no OOM kill, nothing in the engine's log but the error); a known transient of runc.
export function execNeverStarted(r: RunResult): boolean {
  return r.status === 126 && /OCI runtime exec failed: .*waiting for init preliminary setup/.test(r.stderr);
}

export function engine(name: string, host: string): Engine {
  const docker = (args: string[], opts: { allowFail?: boolean; input?: string; timeoutMs?: number } = {}) => run("docker", ["-H", host, ...args], opts);
  return {
    name,
    host,
    // An exec whose process never started is run again (twice at most): it did nothing, so nothing repeats.
    docker: async (args, opts = {}) => {
      if (args[0] !== "exec") return docker(args, opts);
      for (let attempt = 1; ; attempt++) {
        const r = await docker(args, { ...opts, allowFail: true });
        if (attempt < 3 && execNeverStarted(r)) {
          console.log(`docker ${args.slice(0, 2).join(" ")}: the runtime did not start the process (${r.stderr.trim()}); again`);
          await sleep(1000);
          continue;
        }
        if (r.status !== 0 && !opts.allowFail) throw new CommandFailed(`docker -H ${host} ${args.join(" ")}`.slice(0, 300), r);
        return r;
      }
    },
  };
}

// Starts an engine (or finds it running). `registryMirror` makes docker.io pulls go to the suite's
// registry on loopback first, so images are pulled by the names and digests prod uses.
// `root` runs another engine tree (e.g. Docker 20.10's).
export async function startEngine(name: string, opts: { netns?: string; registryMirror?: string; extraArgs?: string[]; root?: string } = {}): Promise<Engine> {
  const args = [...(opts.registryMirror ? [`--registry-mirror=${opts.registryMirror}`] : []), ...(opts.extraArgs ?? [])];
  const r = await run("bash", [ENGINE_SH, "start", name, ...(opts.netns ? [opts.netns] : [])], {
    env: { ...process.env, MCP_ENGINE_ARGS: args.join(" "), ...(opts.root ? { MCP_ENGINE_ROOT: opts.root } : {}) },
    timeoutMs: 120_000,
  });
  return engine(name, r.stdout.trim().split("\n").pop()!);
}

// A clean restart of the engine's dockerd (SIGTERM, then the same dockerd in the same namespaces); with
// live-restore set (setLiveRestore), its containers keep running meanwhile.
export async function restartEngine(name: string): Promise<void> {
  await run("bash", [ENGINE_SH, "restart", name], { timeoutMs: 120_000 });
}

// Where engine.sh keeps an engine: its data root (data/) and its socket, pid file and daemon.json (run/).
export const engineStateDir = (name: string) => path.join(process.env.MCP_ENGINE_STATE ?? "/var/lib/mcp-platform-e2e", name);
export const engineRunDir = (name: string) => path.join(engineStateDir(name), "run");

// The engine's live-restore setting, through its daemon.json and a SIGHUP (Docker reloads it in place).
export async function setLiveRestore(e: Engine, on: boolean): Promise<void> {
  const dir = engineRunDir(e.name);
  // Written either way: a reload changes only the settings the file names.
  fs.writeFileSync(path.join(dir, "daemon.json"), `${JSON.stringify({ "live-restore": on })}\n`);
  process.kill(Number(fs.readFileSync(path.join(dir, "docker.pid"), "utf8").trim()), "SIGHUP");
  for (let i = 0; i < 50; i++) {
    if ((await e.docker(["info", "--format", "{{.LiveRestoreEnabled}}"])).stdout.trim() === String(on)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the engine ${e.name} did not take live-restore=${on}`);
}

// Names of the containers the kernel OOM-killed on this engine from `sinceMs` until now (the engine's
// events; a daemon restart ends their history).
export async function oomKilledSince(e: Engine, sinceMs: number): Promise<string[]> {
  const r = await e.docker(["events", "--since", String(Math.floor(sinceMs / 1000)), "--until", String(Math.ceil(Date.now() / 1000)),
    "--filter", "type=container", "--filter", "event=oom", "--format", "{{.Actor.Attributes.name}}"]);
  return r.stdout.split("\n").filter(Boolean);
}

// Each container's life from the engine's event stream from `sinceMs` on: when it was created, started
// and first reported healthy (ms since the epoch), by container ID. The moment "all healthy" was reached
// comes apart from what a tool does after it, and the order shows where a deploy waits.
export interface Lifecycle {
  name: string;
  created?: number;
  started?: number;
  healthy?: number;
}

export function watchLifecycles(e: Engine, sinceMs: number): { stop(): Promise<Map<string, Lifecycle>> } {
  const child = spawn("docker", ["-H", e.host, "events", "--since", String(Math.floor(sinceMs / 1000)), "--filter", "type=container", "--format", "{{json .}}"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lives = new Map<string, Lifecycle>();
  let stderr = "";
  createInterface({ input: child.stdout }).on("line", (line) => {
    const ev = JSON.parse(line) as { Action: string; timeNano: number; Actor: { ID: string; Attributes: { name?: string } } };
    const life = lives.get(ev.Actor.ID) ?? { name: ev.Actor.Attributes.name ?? ev.Actor.ID.slice(0, 12) };
    const at = ev.timeNano / 1e6;
    if (ev.Action === "create") life.created ??= at;
    else if (ev.Action === "start") life.started ??= at;
    else if (ev.Action === "health_status: healthy") life.healthy ??= at;
    lives.set(ev.Actor.ID, life);
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return {
    stop: async () => {
      // The stream lags the engine a little: what was reported up to now is read before it stops.
      await new Promise((r) => setTimeout(r, 1000));
      child.kill("SIGTERM");
      await new Promise((r) => child.once("close", r));
      if (lives.size === 0 && stderr) throw new Error(`docker events: ${stderr}`);
      return lives;
    },
  };
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
