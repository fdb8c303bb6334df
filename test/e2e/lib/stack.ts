// A stack of the end-to-end suite: its own project directory (Pulumi.yaml and Pulumi.<stack>.yaml made
// from the repository's stack files plus the suite's overrides), a file backend, and operations run by
// driver.ts in a process of their own against the real CLI, plugins and engine.
import * as fs from "fs";
import * as path from "path";
import { expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ROOT } from "../../harness/stack-files";
import { ready } from "./context";
import type { DriverRequest, DriverResult } from "./driver";
import { run, tail } from "./run";
import { RUN_DIR, pulumiEnv, type Toolchain } from "./toolchain";

export interface StackOptions {
  // The repository stack file it starts from: Pulumi.<base>.yaml.
  base: "dev" | "prod";
  // Settings replaced or added (key without the project prefix -> value).
  config: Record<string, unknown>;
  // Secret settings (key without the project prefix -> value).
  secrets: Record<string, string>;
}

export class E2EStack {
  readonly workDir: string;
  readonly backendDir: string;
  readonly logFile: string;

  constructor(
    readonly name: string,
    readonly toolchain: Toolchain,
  ) {
    this.workDir = path.join(RUN_DIR, "stacks", name);
    this.backendDir = path.join(RUN_DIR, "state", name);
    this.logFile = path.join(RUN_DIR, "logs", `${name}.log`);
  }

  get env(): NodeJS.ProcessEnv {
    return pulumiEnv(this.toolchain, this.backendDir);
  }

  // A fresh project directory and state (anything from an earlier run is gone).
  async init(opts: StackOptions): Promise<void> {
    for (const d of [this.workDir, this.backendDir]) {
      fs.rmSync(d, { recursive: true, force: true });
      fs.mkdirSync(d, { recursive: true });
    }
    fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
    fs.writeFileSync(this.logFile, "");
    // The project file, pointing at this checkout's program, for runs by the CLI itself (cli()); the
    // driver's inline runs load the same index.ts. The state backend is the suite's (PULUMI_BACKEND_URL).
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as Record<string, unknown> & { runtime?: { options?: { tsconfig?: string } } };
    delete project.backend;
    // The nodejs host reads the tsconfig from the project's directory, here this one: name the checkout's.
    const options = project.runtime?.options;
    if (options?.tsconfig) options.tsconfig = path.join(ROOT, options.tsconfig);
    fs.writeFileSync(path.join(this.workDir, "Pulumi.yaml"), stringify({ ...project, main: ROOT }));
    await this.pulumi(["stack", "init", this.name]);
    const file = path.join(this.workDir, `Pulumi.${this.name}.yaml`);
    const created = parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    const base = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${opts.base}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const config: Record<string, unknown> = { ...base.config };
    for (const [k, v] of Object.entries(opts.config)) config[`mcp-platform:${k}`] = v;
    fs.writeFileSync(file, stringify({ ...created, config }));
    for (const [k, v] of Object.entries(opts.secrets)) await this.pulumi(["config", "set", "--secret", `mcp-platform:${k}`], v);
  }

  async pulumi(args: string[], input?: string): Promise<string> {
    const init = args[0] === "stack" && args[1] === "init";
    const r = await run(this.toolchain.pulumi, [...args, ...(init ? [] : ["--stack", this.name]), "--non-interactive"], {
      env: this.env,
      cwd: this.workDir,
      input,
      allowFail: true,
    });
    fs.appendFileSync(this.logFile, `$ pulumi ${args.join(" ")}\n${r.stdout}${r.stderr}\n`);
    if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.status}:\n${tail(r.stderr || r.stdout)}`);
    return r.stdout;
  }

  // One operation through the driver; a failed operation is returned (ok: false), not thrown.
  async op(request: Omit<DriverRequest, "stack" | "workDir">): Promise<DriverResult> {
    const req: DriverRequest = { ...request, stack: this.name, workDir: this.workDir };
    const r = await run(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(__dirname, "driver.ts"), JSON.stringify(req)], {
      env: this.env,
      cwd: ROOT,
      allowFail: true,
      timeoutMs: 40 * 60_000,
    });
    fs.appendFileSync(this.logFile, `=== ${JSON.stringify(request)}\n${r.stdout}${r.stderr}\n`);
    const line = r.stdout.split("\n").find((l) => l.startsWith("E2E-RESULT "));
    if (!line) throw new Error(`the driver printed no result (exit ${r.status}):\n${tail(r.stderr || r.stdout)}`);
    const result = JSON.parse(line.slice("E2E-RESULT ".length)) as DriverResult;
    if (!result.ok) result.error = `${result.error}\n--- last output:\n${tail(r.stdout.replace(line, ""), 60)}`;
    return result;
  }

  // The Pulumi CLI itself, as a user runs it: the program through the nodejs language host (which cannot
  // run a policy pack here; the driver's runs carry the pack).
  async cli(args: string[]): Promise<{ status: number; output: string }> {
    const r = await run(this.toolchain.pulumi, [...args, "--stack", this.name, "--non-interactive"], {
      env: pulumiEnv(this.toolchain, this.backendDir, { languageHost: true }),
      cwd: this.workDir,
      allowFail: true,
      timeoutMs: 20 * 60_000,
    });
    fs.appendFileSync(this.logFile, `$ pulumi ${args.join(" ")}\n${r.stdout}${r.stderr}\n`);
    return { status: r.status, output: r.stdout + r.stderr };
  }

  // Everything this stack's operations printed so far.
  readLog(): string {
    return fs.readFileSync(this.logFile, "utf8");
  }

  async outputs(): Promise<Record<string, unknown>> {
    return JSON.parse(await this.pulumi(["stack", "output", "--json", "--show-secrets"])) as Record<string, unknown>;
  }
}

// What a result says, for an assertion message.
export function describeResult(r: DriverResult): string {
  return [r.error ?? "ok", `changes ${JSON.stringify(r.changes)}`, ...r.steps.map((s) => `  ${s}`), ...r.policy.map((p) => `  [${p.level}] ${p.policy}: ${p.message}`)].join("\n");
}

// What a refresh reads back from Docker must match what the program declares, or the next up replaces
// containers (an init's replacement takes every replica its files feed, and Neo4j, with it): `pulumi
// refresh`, then a preview with --expect-no-changes. The docs send users to `--refresh` (a moved host,
// containers a daemon restart left stopped).
export function itChangesNothingAfterARefresh(stack: () => E2EStack, policyConfig: () => string): void {
  it("changes nothing after a pulumi refresh", async (ctx) => {
    ready(ctx);
    const refreshed = await stack().op({ op: "refresh" });
    expect(refreshed.ok, describeResult(refreshed)).toBe(true);
    const preview = await stack().op({ op: "preview", policyConfig: policyConfig(), expectNoChanges: true });
    expect(preview.ok, describeResult(preview)).toBe(true);
  });
}
