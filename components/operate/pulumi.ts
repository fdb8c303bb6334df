// `npm run deploy -- --stack <name>` and `npm run preview -- --stack <name>`: `pulumi up` / `pulumi preview`
// with the policy pack and the policy config of the stack's environment (policies/config/<env>.json), so
// that a change that publishes Neo4j is refused on a laptop as it is in review. The state backend is the
// project's (Pulumi.yaml backend.url) unless PULUMI_BACKEND_URL says otherwise.
//
// deploy also sets a stack up the first time: it creates a stack that has a committed Pulumi.<name>.yaml
// (so a typo never creates a stray stack), and stores the secrets given in the environment
// (OPENAI_API_KEY, GMAIL_OAUTH_KEYS_FILE) as Pulumi secrets. Other arguments go to pulumi as they are.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT } from "../config/schema";
import { stackSettings } from "./stack";

export interface Step {
  args: string[];
  // A file whose content is the command's stdin (a secret read from a file).
  stdinFile?: string;
  // Shown instead of the arguments, so that no secret value is printed.
  display?: string;
}

export interface Plan {
  stack: string;
  environment: string;
  steps: Step[];
}

export class PlanError extends Error {}

// Secrets a first deploy can take from the environment: env var -> [config key, read from a file].
export const ENV_SECRETS: Record<string, [string, boolean]> = {
  OPENAI_API_KEY: ["openaiApiKey", false],
  GMAIL_OAUTH_KEYS_FILE: ["gmailOauthKeys", true],
};

export function plan(
  command: "deploy" | "preview",
  argv: string[],
  opts: { projectDir: string; env: NodeJS.ProcessEnv; stackExists: (stack: string) => boolean },
): Plan {
  const rest = [...argv];
  const at = rest.findIndex((a) => a === "--stack" || a === "-s" || a.startsWith("--stack="));
  if (at < 0) throw new PlanError(`name the stack: npm run ${command} -- --stack dev`);
  const stack = rest[at]!.startsWith("--stack=") ? rest[at]!.slice("--stack=".length) : rest[at + 1];
  if (!stack || stack.startsWith("-")) throw new PlanError(`--stack needs a stack name, e.g. npm run ${command} -- --stack dev`);
  rest.splice(at, rest[at]!.startsWith("--stack=") ? 1 : 2);

  const env = stackSettings(stack, opts.projectDir)[`${PROJECT}:environment`];
  const environment = typeof env === "string" ? env : "dev";
  const policyConfig = path.join("policies", "config", `${environment}.json`);
  if (!fs.existsSync(path.join(opts.projectDir, policyConfig)))
    throw new PlanError(`stack ${stack} has environment ${environment}, which has no policy config (${policyConfig}): set mcp-platform:environment to dev or prod`);
  const pack = ["--policy-pack", "policies", "--policy-pack-config", policyConfig];

  const steps: Step[] = [];
  const exists = opts.stackExists(stack);
  if (!exists) {
    if (command === "preview" || !fs.existsSync(path.join(opts.projectDir, `Pulumi.${stack}.yaml`)))
      throw new PlanError(
        `there is no stack ${stack} in this backend` +
          (command === "deploy" ? ` and no Pulumi.${stack}.yaml to create it from: create it with pulumi stack init ${stack}` : `: deploy it first (npm run deploy -- --stack ${stack})`),
      );
    steps.push({ args: ["stack", "init", stack] });
  }
  if (command === "deploy")
    for (const [variable, [key, fromFile]] of Object.entries(ENV_SECRETS)) {
      const value = opts.env[variable];
      if (!value) continue;
      if (fromFile) {
        if (!fs.existsSync(value)) throw new PlanError(`${variable} names ${value}, which does not exist`);
        steps.push({ args: ["config", "set", "--secret", "--stack", stack, key], stdinFile: value, display: `pulumi config set --secret --stack ${stack} ${key} < ${value}` });
      } else
        steps.push({ args: ["config", "set", "--secret", "--stack", stack, key, value], display: `pulumi config set --secret --stack ${stack} ${key} <${variable}>` });
    }
  steps.push({ args: [command === "deploy" ? "up" : "preview", "--stack", stack, ...pack, ...rest] });
  return { stack, environment, steps };
}

// The project's stacks in its backend; none when the CLI is missing or the backend is empty.
function stackNames(projectDir: string): string[] {
  const r = spawnSync("pulumi", ["stack", "ls", "--json"], { cwd: projectDir, encoding: "utf8" });
  try {
    return (JSON.parse(r.stdout || "[]") as { name: string }[]).map((s) => s.name);
  } catch {
    return [];
  }
}

function run(step: Step, cwd: string): number {
  const stdin = step.stdinFile ? fs.openSync(step.stdinFile, "r") : "inherit";
  try {
    const r = spawnSync("pulumi", step.args, { cwd, stdio: [stdin, "inherit", "inherit"] });
    if (r.error) {
      if ((r.error as NodeJS.ErrnoException).code === "ENOENT") {
        console.error("the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/");
        return 127;
      }
      throw r.error;
    }
    return r.status ?? 1;
  } finally {
    if (typeof stdin === "number") fs.closeSync(stdin);
  }
}

// Whether a stack deploys to another machine (ssh:// or tcp://), as the CI deploy job requires: a stack
// on the runner's own Docker would vanish with the runner while the state still described it.
export function remoteDockerHost(stack: string, projectDir: string): { remote: boolean; dockerHost: string } {
  const host = stackSettings(stack, projectDir)[`${PROJECT}:dockerHost`];
  const dockerHost = typeof host === "string" ? host : "unix:///var/run/docker.sock";
  return { remote: /^(ssh|tcp):\/\//.test(dockerHost), dockerHost };
}

export function main(command: "deploy" | "preview", argv: string[], projectDir = process.cwd()): number {
  let p: Plan;
  try {
    p = plan(command, argv, {
      projectDir,
      env: process.env,
      stackExists: (stack) => stackNames(projectDir).includes(stack),
    });
  } catch (e) {
    console.error(`${command}: ${(e as Error).message}`);
    return 2;
  }
  for (const step of p.steps) {
    console.error(`> ${step.display ?? `pulumi ${step.args.join(" ")}`}`);
    const code = run(step, projectDir);
    if (code !== 0) return code;
  }
  return 0;
}

if (require.main === module) {
  const [command, ...argv] = process.argv.slice(2);
  if (command === "remote-host" && argv[0] === "--stack" && argv[1]) {
    // For the workflow: `remote=true|false` on stdout (a step output), the reason on stderr.
    const { remote, dockerHost } = remoteDockerHost(argv[1], process.cwd());
    console.log(`remote=${remote}`);
    console.error(remote ? `stack ${argv[1]} deploys to ${dockerHost}` : `stack ${argv[1]} is not deployed from CI: its dockerHost ${dockerHost} is the runner's own Docker (set dockerHost to ssh://user@host or tcp://host:2376)`);
    process.exit(0);
  }
  if (command !== "deploy" && command !== "preview") {
    console.error("usage: tsx components/operate/pulumi.ts deploy|preview --stack <name> [pulumi options]\n       tsx components/operate/pulumi.ts remote-host --stack <name>");
    process.exit(2);
  }
  process.exit(main(command, argv));
}
