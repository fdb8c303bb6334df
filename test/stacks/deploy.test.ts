// A real `pulumi preview` where Pulumi and Docker exist (npm run deploy itself: test/components/operate/pulumi.test.ts).
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { fixtureSourceRoot } from "../harness/program";
import { ROOT } from "../harness/stack-files";

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;

describe("pulumi preview of the dev stack against a real Docker engine", () => {
  const pulumi = has("pulumi", ["version"]);
  const docker = has("docker", ["info"]);
  const reason = !pulumi ? "the Pulumi CLI is not installed" : "no Docker engine answers `docker info`";

  it.skipIf(!(pulumi && docker))(`previews with no error (skipped here: ${reason})`, () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-state-"));
    const env = { ...process.env, PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: "test-passphrase" };
    const run = (args: string[], input?: string) => execFileSync("pulumi", args, { cwd: ROOT, env, input, encoding: "utf8" });
    run(["stack", "init", "dev"]);
    run(["config", "set", "--stack", "dev", "sourceRoot", fixtureSourceRoot()]);
    run(["config", "set", "--stack", "dev", "--secret", "openaiApiKey", "sk-test"]);
    run(["config", "set", "--stack", "dev", "--secret", "gmailOauthKeys"], "{}");
    const out = run(["preview", "--stack", "dev", "--non-interactive", "--diff"]);
    expect(out).toMatch(/mcp-platform:platform:Platform/);
  });
});
