// Running the real tools of the end-to-end suite: a command's output, or its failure with that output.
import { spawn, spawnSync, type SpawnOptions } from "child_process";

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export class CommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    super(`${command} exited ${result.status}\n${tail(result.stderr || result.stdout)}`);
  }
}

export const tail = (text: string, lines = 40) => text.trimEnd().split("\n").slice(-lines).join("\n");

// Runs to completion; throws CommandFailed on a non-zero exit unless `allowFail`.
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; allowFail?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const options: SpawnOptions = { env: opts.env ?? process.env, cwd: opts.cwd, stdio: [opts.input !== undefined ? "pipe" : "ignore", "pipe", "pipe"] };
    const child = spawn(cmd, args, options);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs) : undefined;
    child.on("error", reject);
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      const result = { status: code ?? -1, stdout, stderr };
      if (result.status !== 0 && !opts.allowFail) reject(new CommandFailed(`${cmd} ${args.join(" ")}`.slice(0, 300), result));
      else resolve(result);
    });
    if (opts.input !== undefined) {
      // A command that exits without reading its input must not crash the caller.
      child.stdin!.on("error", () => {});
      child.stdin!.end(opts.input);
    }
  });
}

export function runSync(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): RunResult {
  const r = spawnSync(cmd, args, { env, encoding: "utf8" });
  return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Polls `probe` until it returns a value, or fails with the last reason after `timeoutMs`.
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 500): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${(last as Error).message})` : ""}`);
    await sleep(everyMs);
  }
}
