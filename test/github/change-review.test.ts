import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT, STACKS } from "../harness/stack-files";

const FILE = path.join(ROOT, ".github/workflows/change-review.yml");
const text = fs.readFileSync(FILE, "utf8");

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  strategy?: { matrix?: { stack?: string[] } };
  steps: Step[];
}
const workflow = parse(text) as { on: Record<string, unknown>; jobs: Record<string, Job> };

// The step's inputs with ${{ matrix.stack }} replaced, as Actions would run it for one stack.
const forStack = (step: Step, stack: string) =>
  Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, String(v).replaceAll("${{ matrix.stack }}", stack)]));
const pulumiStep = (job: Job) => job.steps.find((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command)!;

describe("the change-review workflow", () => {
  it("parses, and runs on pull requests and on pushes to main", () => {
    expect(workflow.on).toHaveProperty("pull_request");
    expect(workflow.on.push).toEqual({ branches: ["main"] });
  });

  it("runs the tests the way .ci/run does, as root so the firewall's namespace test runs", () => {
    const run = workflow.jobs.test!.steps.map((s) => s.run ?? "").join("\n");
    expect(run).toMatch(/sudo .*bash \.ci\/run/);
    expect(fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8")).toMatch(/npm ci[^\n]*\nnpm test/);
  });

  it("previews every stack on pull requests, after the tests, with the policy pack and that stack's policy config, posted on the PR", () => {
    const preview = workflow.jobs.preview!;
    expect(preview.needs).toBe("test");
    expect(preview.if).toContain("pull_request");
    expect(preview.strategy?.matrix?.stack).toEqual([...STACKS]);
    for (const stack of STACKS) {
      const inputs = forStack(pulumiStep(preview), stack);
      expect(inputs["stack-name"]).toBe(stack);
      expect(inputs.policyPacks).toBe("policies");
      expect(inputs.policyPackConfigs).toBe(`policies/config/${stack}.json`);
      expect(inputs["comment-on-pr"]).toBe("true");
      expect(inputs.command).toContain("'preview'");
    }
  });

  it("deploys dev with pulumi up on main, with dev's policy config", () => {
    const deploy = workflow.jobs["deploy-dev"]!;
    expect(deploy.if).toContain("refs/heads/main");
    expect(deploy.strategy?.matrix?.stack).toEqual(["dev"]);
    const inputs = forStack(pulumiStep(deploy), "dev");
    expect(inputs.command).toContain("'up'");
    expect(inputs.policyPackConfigs).toBe("policies/config/dev.json");
  });

  it("needs only secrets the README lists", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const secrets = [...new Set([...text.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]!))].filter((s) => s !== "GITHUB_TOKEN");
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    for (const s of secrets) expect(readme, s).toContain(`\`${s}\``);
  });
});
