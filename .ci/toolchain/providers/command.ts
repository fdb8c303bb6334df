// Stand-in for the `command` provider plugin (1.2.1), which no registry here serves: local.Command with
// the inputs this program uses (create, update, delete, environment, dir, triggers, logging,
// addPreviousOutputInEnv), run as the real one runs them. CI tooling only: users get the real plugin.
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as provider from "@pulumi/pulumi/provider";
import { containsSecret, plain, secret, typeOf, unsupportedInputs, type Props } from "./plugin";

export const VERSION = "1.2.1";
const LOCAL_COMMAND = "command:local:Command";
const SUPPORTED = ["create", "update", "delete", "environment", "dir", "interpreter", "triggers", "logging", "addPreviousOutputInEnv", "stdin"];

export interface CommandInputs {
  create?: string;
  update?: string;
  delete?: string;
  environment?: Record<string, string>;
  dir?: string;
  interpreter?: string[];
  stdin?: string;
  logging?: "stdout" | "stderr" | "stdoutAndStderr" | "none";
  addPreviousOutputInEnv?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {}

// Runs one command the way the real provider does: through the interpreter (sh -c by default), in
// `dir`, with `environment` added to this process's environment; a non-zero exit is an error that
// carries the command's output. Trailing newlines are trimmed from stdout and stderr, as the real one does.
export function runCommand(cmd: string, inputs: CommandInputs, previous?: RunResult, log: (line: string) => void = () => {}): Promise<RunResult> {
  const [shell, ...shellArgs] = inputs.interpreter ?? ["/bin/sh", "-c"];
  const env: NodeJS.ProcessEnv = { ...process.env, ...(inputs.environment ?? {}) };
  if (previous && inputs.addPreviousOutputInEnv !== false) {
    env.PULUMI_COMMAND_STDOUT = previous.stdout;
    env.PULUMI_COMMAND_STDERR = previous.stderr;
  }
  const logging = inputs.logging ?? "stdoutAndStderr";
  return new Promise((resolve, reject) => {
    const child = spawn(shell!, [...shellArgs, cmd], { cwd: inputs.dir || undefined, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (logging === "stdout" || logging === "stdoutAndStderr") log(d.toString());
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (logging === "stderr" || logging === "stdoutAndStderr") log(d.toString());
    });
    // A command that exits without reading its input closes the pipe first: not an error of ours.
    child.stdin.on("error", () => {});
    child.stdin.end(inputs.stdin ?? "");
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const result = { stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, "") };
      if (code === 0) resolve(result);
      else
        reject(
          new CommandError(
            `command exited with ${signal ? `signal ${signal}` : `status ${code}`}: ${cmd.length > 200 ? `${cmd.slice(0, 200)}…` : cmd}\n` +
              `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
          ),
        );
    });
  });
}

// The plugin's stderr reaches `pulumi -v` logs; the engine's log stream needs a connection the SDK's
// provider server does not set up for plain resources.
const toStderr = (s: string) => process.stderr.write(s);

function outputs(inputs: Props, result: RunResult): Props {
  // Output that may echo a secret input is a secret too.
  const wrap = (v: string) => (containsSecret(inputs) ? secret(v) : v);
  return { ...inputs, stdout: wrap(result.stdout), stderr: wrap(result.stderr) };
}

function previousOf(olds: Props): RunResult {
  return { stdout: String(plain(olds.stdout) ?? ""), stderr: String(plain(olds.stderr) ?? "") };
}

const same = (a: unknown, b: unknown) => JSON.stringify(plain(a)) === JSON.stringify(plain(b));

export const commandProvider: provider.Provider = {
  version: VERSION,
  async check(urn, _olds, news) {
    if (typeOf(urn) !== LOCAL_COMMAND)
      return { inputs: news, failures: [{ property: "", reason: `the command stand-in implements only ${LOCAL_COMMAND} (not ${typeOf(urn)})` }] };
    return { inputs: news, failures: unsupportedInputs(news, SUPPORTED, "the command provider's") };
  },
  // triggers replace; any other input change is an update, which runs `update` (or `create`) again.
  async diff(_id, _urn, olds, news) {
    const keys = SUPPORTED.filter((k) => !same(olds[k], news[k]));
    return { changes: keys.length > 0, replaces: keys.includes("triggers") ? ["triggers"] : [] };
  },
  async create(_urn, inputs) {
    const p = plain(inputs) as CommandInputs;
    const result = p.create ? await runCommand(p.create, p, undefined, toStderr) : { stdout: "", stderr: "" };
    return { id: crypto.randomUUID(), outs: outputs(inputs, result) };
  },
  async update(_id, _urn, olds, news) {
    const p = plain(news) as CommandInputs;
    const cmd = p.update ?? p.create;
    const result = cmd ? await runCommand(cmd, p, previousOf(olds), toStderr) : previousOf(olds);
    return { outs: outputs(news, result) };
  },
  async delete(_id, _urn, props) {
    const p = plain(props) as CommandInputs;
    if (p.delete) await runCommand(p.delete, p, previousOf(props), toStderr);
  },
  async read(id, _urn, props) {
    return { id, props };
  },
};

// Run as a plugin: serve the engine (the SDK prints the port it listens on).
if (require.main === module) void provider.main(commandProvider, process.argv.slice(2));
