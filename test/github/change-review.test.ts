// The change-review workflow: what it runs on each event, where its secrets go, and actionlint's verdict.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT, STACKS } from "../harness/stack-files";
import { hasTool, skipOrFail } from "../harness/tools";

const FILE = path.join(ROOT, ".github/workflows/change-review.yml");
const text = fs.readFileSync(FILE, "utf8");

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string;
  env?: Record<string, string>;
  permissions?: Record<string, string>;
  strategy?: { matrix?: { include?: { stack: string; environment: string }[] } };
  steps: Step[];
}
const workflow = parse(text) as { on: Record<string, unknown>; env?: Record<string, string>; permissions: Record<string, string>; jobs: Record<string, Job> };
const jobs = workflow.jobs;

const pulumiStep = (job: Job) => job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
// The step's inputs as Actions would run them for one matrix entry.
const forEntry = (step: Step, entry: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(step.with ?? {}).map(([k, v]) => [k, String(v).replace(/\$\{\{ matrix\.(\w+) \}\}/g, (_m, key: string) => entry[key] ?? "")]),
  );
const stackEnvironment = (stack: string) =>
  ((parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> }).config["mcp-platform:environment"] as string) ?? "dev";
const secretsIn = (v: unknown) => [...JSON.stringify(v ?? {}).matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]!);

describe("the change-review workflow", () => {
  it("runs on pull requests, on pushes to main and by hand", () => {
    expect(workflow.on).toHaveProperty("pull_request");
    expect(workflow.on.push).toEqual({ branches: ["main"] });
    expect(workflow.on).toHaveProperty("workflow_dispatch");
  });

  it("runs the tests the way .ci/run does, as root", () => {
    const run = jobs.test!.steps.map((s) => s.run ?? "").join("\n");
    expect(run).toMatch(/sudo .*CI=true bash \.ci\/run/);
  });

  it("previews every stack on pull requests, after the tests, with the pack and the config of the stack's environment, never creating one", () => {
    const preview = jobs.preview!;
    expect(preview.needs).toBe("test");
    expect(preview.if).toContain("pull_request");
    expect(preview.if).toContain("head.repo.full_name == github.repository");
    const entries = preview.strategy!.matrix!.include!;
    expect(entries.map((e) => e.stack)).toEqual([...STACKS]);
    for (const entry of entries) {
      expect(entry.environment, entry.stack).toBe(stackEnvironment(entry.stack));
      const inputs = forEntry(pulumiStep(preview), entry);
      expect(inputs).toMatchObject({
        command: "preview",
        "stack-name": entry.stack,
        policyPacks: "policies",
        policyPackConfigs: `policies/config/${stackEnvironment(entry.stack)}.json`,
        "comment-on-pr": "true",
        upsert: "false",
      });
    }
  });

  it("deploys only from a protected environment per stack, only a stack whose Docker host is remote, never creating one", () => {
    const deploy = jobs.deploy!;
    expect(deploy.if).toContain("refs/heads/main");
    expect(deploy.if).not.toContain("pull_request");
    expect(deploy.environment).toBe("${{ matrix.stack }}");
    const check = deploy.steps.findIndex((s) => s.id === "target");
    const up = deploy.steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(check).toBeGreaterThan(-1);
    expect(deploy.steps[check]!.run).toMatch(/components\/operate\/pulumi\.ts remote-host --stack "\$STACK" >> "\$GITHUB_OUTPUT"/);
    expect(up).toBeGreaterThan(check);
    expect(deploy.steps[up]!.if).toBe("steps.target.outputs.remote == 'true'");
    for (const entry of deploy.strategy!.matrix!.include!) {
      expect(entry.environment).toBe(stackEnvironment(entry.stack));
      expect(forEntry(deploy.steps[up]!, entry)).toMatchObject({ command: "up", upsert: "false", policyPackConfigs: `policies/config/${entry.environment}.json` });
    }
    // No step anywhere creates a stack.
    expect(text).not.toMatch(/--create|stack init|upsert: true/);
  });

  it("the remote-host check refuses the runner's own Docker and accepts ssh:// and tcp:// hosts", () => {
    const check = (dockerHost?: string) => {
      const dir = fs.mkdtempSync(path.join(ROOT, "node_modules", ".remote-host-"));
      try {
        fs.writeFileSync(path.join(dir, "Pulumi.s.yaml"), `config:\n${dockerHost ? `  mcp-platform:dockerHost: ${dockerHost}\n` : "  mcp-platform:environment: prod\n"}`);
        const r = spawnSync("npx", ["--no", "tsx", path.join(ROOT, "components/operate/pulumi.ts"), "remote-host", "--stack", "s"], { cwd: dir, encoding: "utf8" });
        return { out: r.stdout.trim(), err: r.stderr.trim() };
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    expect(check()).toEqual({ out: "remote=false", err: expect.stringMatching(/is the runner's own Docker/) });
    expect(check("unix:///var/run/docker.sock").out).toBe("remote=false");
    expect(check("ssh://deploy@docker.example.com").out).toBe("remote=true");
    expect(check("tcp://docker.example.com:2376").out).toBe("remote=true");
  });

  it("gives secrets only to the steps that use them: not to the workflow, a job, npm ci or a checkout", () => {
    expect(secretsIn(workflow.env)).toEqual([]);
    for (const [name, job] of Object.entries(jobs)) {
      expect(secretsIn(job.env), name).toEqual([]);
      for (const step of job.steps) {
        const used = secretsIn({ env: step.env, with: step.with });
        if (step.run?.includes("npm ci") || step.uses?.startsWith("actions/")) expect(used, `${name}: ${step.name ?? step.uses}`).toEqual([]);
        if (used.length) expect(step.uses?.startsWith("pulumi/actions@") || /SSH agent/.test(step.name ?? ""), `${name}: ${step.name}`).toBe(true);
      }
      // A checkout leaves no token in .git/config for later steps (npm ci's install scripts) to read.
      for (const step of job.steps.filter((s) => s.uses?.startsWith("actions/checkout@"))) expect(step.with?.["persist-credentials"], name).toBe(false);
    }
    // Only the SSH step sees the SSH key.
    const sshSteps = Object.values(jobs).flatMap((j) => j.steps).filter((s) => secretsIn(s.env).includes("DOCKER_HOST_SSH_KEY"));
    expect(sshSteps.every((s) => /SSH agent/.test(s.name ?? ""))).toBe(true);
  });

  it("pins the Pulumi CLI to the version the project is built and tested with, and uses actions on Node 24", () => {
    const ciVersion = /PULUMI_VERSION=(\S+)/.exec(fs.readFileSync(path.join(ROOT, ".ci/toolchain/install.sh"), "utf8"))![1];
    const sdk = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@pulumi/pulumi"];
    for (const job of [jobs.preview!, jobs.deploy!]) {
      expect(String(pulumiStep(job).with?.["pulumi-version"])).toBe(ciVersion);
      expect(ciVersion).toBe(sdk);
    }
    // The first major of each action whose runtime is Node 24 (Node 20 is past its end of life).
    const node24: Record<string, number> = { "actions/checkout": 5, "actions/setup-node": 5, "pulumi/actions": 7 };
    const uses = Object.values(jobs).flatMap((j) => j.steps).map((s) => s.uses).filter((u): u is string => Boolean(u));
    expect(uses.length).toBeGreaterThan(5);
    for (const u of uses) {
      const [action, ref] = u.split("@") as [string, string];
      expect(Object.keys(node24), u).toContain(action);
      expect(Number(/^v(\d+)/.exec(ref)?.[1]), u).toBeGreaterThanOrEqual(node24[action]!);
    }
  });

  it("names only secrets docs/ci.md lists", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs/ci.md"), "utf8");
    const secrets = [...new Set(secretsIn(workflow.jobs))].filter((s) => s !== "GITHUB_TOKEN");
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    for (const s of secrets) expect(doc, s).toContain(`\`${s}\``);
  });

  it("passes actionlint (1.7.10 or later), with shellcheck on its run scripts", (ctx) => {
    const envFile = "/var/cache/mcp-platform-ci/toolchain.env";
    const built = fs.existsSync(envFile) ? /MCP_ACTIONLINT_BIN=(.*)/.exec(fs.readFileSync(envFile, "utf8"))?.[1] : undefined;
    const bin = built && fs.existsSync(built) ? built : hasTool("actionlint") ? "actionlint" : undefined;
    skipOrFail(ctx, bin ? (hasTool("shellcheck") ? undefined : "shellcheck is not installed") : "actionlint is not installed (.ci/toolchain/install.sh builds it)");
    const version = spawnSync(bin!, ["-version"], { encoding: "utf8" }).stdout.split("\n")[0]!.replace(/^v/, "");
    const [major, minor, patch] = version.split(".").map(Number) as [number, number, number];
    expect(major * 1e6 + minor * 1e3 + patch, version).toBeGreaterThanOrEqual(1_007_010);
    const r = spawnSync(bin!, ["-no-color", FILE], { cwd: ROOT, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
    // And it does find mistakes: the same workflow with a step output that no step sets.
    const broken = spawnSync(bin!, ["-no-color", "-"], { cwd: ROOT, encoding: "utf8", input: text.replace("steps.target.outputs.remote == 'true'", "steps.targte.outputs.remote == 'true'") });
    expect(broken.status).not.toBe(0);
    expect(broken.stdout).toMatch(/targte/);
  });
});
