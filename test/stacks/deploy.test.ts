// The README's set-up command (`npm run deploy:dev`), and a real `pulumi preview` where Pulumi and Docker exist.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { fixtureSourceRoot } from "../harness/program";
import { ROOT } from "../harness/stack-files";

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;

describe("npm run deploy:dev", () => {
  // A recording stand-in for the pulumi CLI: this checks the command sequence the script runs, not Pulumi.
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
  const log = path.join(bin, "calls.log");
  fs.writeFileSync(
    path.join(bin, "pulumi"),
    `#!/bin/sh\nstdin=""\nif [ "$1 $2" = "config set" ] && [ "$#" -eq 4 ]; then stdin=" <$(cat)>"; fi\necho "$PULUMI_BACKEND_URL | $*$stdin" >> "${log}"\n`,
    { mode: 0o755 },
  );
  const keys = path.join(bin, "gcp-oauth.keys.json");
  fs.writeFileSync(keys, '{"installed":{}}');

  it("uses a local file backend, selects or creates dev, stores the secrets from the environment, then deploys", () => {
    execFileSync("npm", ["run", "--silent", "deploy:dev"], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, OPENAI_API_KEY: "sk-test", GMAIL_OAUTH_KEYS_FILE: keys },
      stdio: "pipe",
    });
    const calls = fs.readFileSync(log, "utf8").trim().split("\n");
    const backend = `file://${ROOT}/.pulumi-state`;
    expect(calls).toEqual([
      `${backend} | stack select --create dev`,
      `${backend} | config set --secret openaiApiKey sk-test`,
      `${backend} | config set --secret gmailOauthKeys <{"installed":{}}>`,
      `${backend} | up --stack dev --yes`,
    ]);
  });

  it("skips the secrets it is not given (they are already in the stack after the first run)", () => {
    fs.rmSync(log, { force: true });
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    delete env.OPENAI_API_KEY;
    delete env.GMAIL_OAUTH_KEYS_FILE;
    execFileSync("npm", ["run", "--silent", "deploy:dev"], { cwd: ROOT, env, stdio: "pipe" });
    expect(fs.readFileSync(log, "utf8").trim().split("\n").map((l) => l.split(" | ")[1])).toEqual(["stack select --create dev", "up --stack dev --yes"]);
  });
});

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
