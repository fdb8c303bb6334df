// npm run deploy / preview: pulumi up and preview with the policy pack and the stack's policy config,
// and the project's default backend (Pulumi.yaml backend.url) as the real CLI reads it.
import { execFile, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { plan } from "../../../components/operate/pulumi";
import { ROOT } from "../../harness/stack-files";
import { skipOrFail } from "../../harness/tools";

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-scripts-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const opts = (exists: string[], env: NodeJS.ProcessEnv = {}) => ({ projectDir: ROOT, env, stackExists: (s: string) => exists.includes(s) });

describe("the deploy and preview plans", () => {
  it("deploy runs pulumi up with the pack and the config of the stack's environment, passing other options on", () => {
    expect(plan("deploy", ["--stack", "dev", "--yes"], opts(["dev"])).steps).toEqual([
      { args: ["up", "--stack", "dev", "--policy-pack", "policies", "--policy-pack-config", "policies/config/dev.json", "--yes"] },
    ]);
    expect(plan("preview", ["--stack=prod", "--diff"], opts(["prod"])).steps).toEqual([
      { args: ["preview", "--stack", "prod", "--policy-pack", "policies", "--policy-pack-config", "policies/config/prod.json", "--diff"] },
    ]);
  });

  it("deploy creates a stack that has a committed stack file, and stores the secrets given in the environment", () => {
    const keys = path.join(tmp, "gcp-oauth.keys.json");
    fs.writeFileSync(keys, "{}");
    const p = plan("deploy", ["--stack", "dev"], opts([], { OPENAI_API_KEY: "sk-secret-value", GMAIL_OAUTH_KEYS_FILE: keys }));
    expect(p.steps.map((s) => s.args[0])).toEqual(["stack", "config", "config", "up"]);
    expect(p.steps[0]!.args).toEqual(["stack", "init", "dev"]);
    expect(p.steps[1]!.args).toEqual(["config", "set", "--secret", "--stack", "dev", "openaiApiKey", "sk-secret-value"]);
    expect(p.steps[1]!.display).not.toContain("sk-secret-value");
    expect(p.steps[2]).toMatchObject({ args: ["config", "set", "--secret", "--stack", "dev", "gmailOauthKeys"], stdinFile: keys });
  });

  it("never creates a stack without a stack file, and preview never creates one", () => {
    expect(() => plan("deploy", ["--stack", "prdo"], opts([]))).toThrow(/there is no stack prdo in this backend and no Pulumi\.prdo\.yaml to create it from/);
    expect(() => plan("preview", ["--stack", "prod"], opts([]))).toThrow(/there is no stack prod in this backend: deploy it first/);
    expect(() => plan("deploy", [], opts([]))).toThrow(/name the stack: npm run deploy -- --stack dev/);
  });
});

describe("npm run deploy, as a user runs it", () => {
  it("runs the planned pulumi commands in order, a secret file on stdin, and stops at the first failure", async () => {
    // A stand-in pulumi on PATH that logs each call and its stdin; `stack ls` answers that dev exists.
    const bin = path.join(tmp, "bin");
    fs.mkdirSync(bin, { recursive: true });
    const log = path.join(tmp, "calls");
    fs.writeFileSync(
      path.join(bin, "pulumi"),
      `#!/bin/sh\nif [ "$1 $2" = "stack ls" ]; then echo '[{"name": "dev"}]'; exit 0; fi\necho "pulumi $*" >> ${log}\nif [ "$1" = config ]; then echo "stdin: $(cat)" >> ${log}; fi\n[ "$1" = up ] && exit 3\nexit 0\n`,
      { mode: 0o755 },
    );
    const keys = path.join(tmp, "keys.json");
    fs.writeFileSync(keys, '{"installed":{}}');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, GMAIL_OAUTH_KEYS_FILE: keys, OPENAI_API_KEY: "" };
    const code = await new Promise<number>((resolve) =>
      execFile("npm", ["run", "--silent", "deploy", "--", "--stack", "dev", "--yes"], { cwd: ROOT, env }, (err) => resolve(err ? Number((err as { code?: number }).code) : 0)),
    );
    expect(fs.readFileSync(log, "utf8").split("\n")).toEqual([
      "pulumi config set --secret --stack dev gmailOauthKeys",
      'stdin: {"installed":{}}',
      "pulumi up --stack dev --policy-pack policies --policy-pack-config policies/config/dev.json --yes",
      "",
    ]);
    expect(code).toBe(3);
  });
});

describe("the project's default backend (Pulumi.yaml backend.url), with the real Pulumi CLI", () => {
  const envFile = "/var/cache/mcp-platform-ci/toolchain.env";
  const bin = fs.existsSync(envFile) ? /MCP_PULUMI_BIN=(.*)/.exec(fs.readFileSync(envFile, "utf8"))?.[1] : undefined;

  it("keeps state in ./.pulumi-state, creating it; PULUMI_BACKEND_URL overrides it and `pulumi login` does not", (ctx) => {
    skipOrFail(ctx, bin && fs.existsSync(bin) ? undefined : "the CI Pulumi CLI is not built here (.ci/toolchain/install.sh)");
    const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { backend?: { url?: string } };
    expect(project.backend?.url).toBe("file://./.pulumi-state?create_dir=true");
    const dir = path.join(tmp, "project");
    const other = path.join(tmp, "other-backend");
    fs.mkdirSync(other, { recursive: true });
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    const { PULUMI_BACKEND_URL: _ignored, ...inherited } = process.env;
    const env = { ...inherited, PULUMI_HOME: path.join(tmp, "pulumi-home"), PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_CONFIG_PASSPHRASE: "test" };
    const pulumi = (args: string[], extra: NodeJS.ProcessEnv = {}) => spawnSync(bin!, args, { cwd: dir, env: { ...env, ...extra }, encoding: "utf8" });
    const init = pulumi(["stack", "init", "dev"]);
    expect(init.status, init.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, ".pulumi-state", ".pulumi", "stacks", "mcp-platform", "dev.json"))).toBe(true);
    // A login elsewhere does not move this project's state: the project's backend.url comes first.
    expect(pulumi(["login", `file://${other}`]).status).toBe(0);
    expect(pulumi(["stack", "ls", "--json"]).stdout).toMatch(/"name": "dev"/);
    // PULUMI_BACKEND_URL does.
    const elsewhere = pulumi(["stack", "ls", "--json"], { PULUMI_BACKEND_URL: `file://${other}` });
    expect(elsewhere.status, elsewhere.stderr).toBe(0);
    expect(elsewhere.stdout).not.toMatch(/"name": "dev"/);
  });
});
