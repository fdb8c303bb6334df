// The stand-ins CI uses for the random and command provider plugins (.ci/toolchain/providers): they must
// do what the real ones do for the inputs this program uses, and refuse what they do not implement. The
// end-to-end suite runs them for real under the Pulumi engine.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { commandProvider, runCommand } from "../../.ci/toolchain/providers/command";
import { isSecret, plain, secret } from "../../.ci/toolchain/providers/plugin";
import { generatePassword, randomProvider } from "../../.ci/toolchain/providers/random";

const PASSWORD_URN = "urn:pulumi:dev::mcp-platform::mcp-platform:neo4j:Neo4j$random:index/randomPassword:RandomPassword::neo4j-password";
const COMMAND_URN = "urn:pulumi:dev::mcp-platform::mcp-platform:verify:Verification$command:local:Command::verify-checks";
const defaults = { upper: true, lower: true, numeric: true, special: true, minUpper: 0, minLower: 0, minNumeric: 0, minSpecial: 0 };

describe("the random stand-in", () => {
  it("generates a password of the length asked, from the classes asked, with each class's minimum", () => {
    for (let i = 0; i < 50; i++) {
      const p = generatePassword({ ...defaults, length: 32, special: false });
      expect(p).toMatch(/^[A-Za-z0-9]{32}$/);
    }
    const p = generatePassword({ ...defaults, length: 8, lower: false, numeric: false, minUpper: 3, minSpecial: 5, overrideSpecial: "#" });
    expect(p.replace(/[^#]/g, "")).toHaveLength(5);
    expect(p).toMatch(/^[A-Z#]{8}$/);
    expect(new Set(Array.from({ length: 20 }, () => generatePassword({ ...defaults, length: 32 }))).size).toBe(20);
    expect(() => generatePassword({ ...defaults, length: 8, upper: false, lower: false, numeric: false, special: false })).toThrow(/no characters/);
  });

  it("returns the result as a secret and echoes its inputs", async () => {
    const r = await randomProvider.create!(PASSWORD_URN, { length: 16, special: false });
    expect(isSecret(r.outs.result)).toBe(true);
    expect(plain(r.outs.result)).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(r.outs.length).toBe(16);
  });

  it("replaces the password when any input changes, and keeps it otherwise", async () => {
    const olds = { ...defaults, length: 16, special: false, result: secret("x") };
    expect(await randomProvider.diff!("id", PASSWORD_URN, olds, { ...defaults, length: 16, special: false })).toEqual({ changes: false, replaces: [] });
    expect(await randomProvider.diff!("id", PASSWORD_URN, olds, { ...defaults, length: 24, special: false })).toEqual({ changes: true, replaces: ["length"] });
  });

  it("refuses inputs and resources it does not implement, naming them", async () => {
    const r = await randomProvider.check!(PASSWORD_URN, {}, { length: 16, bcrypt: true });
    expect(r.failures).toEqual([expect.objectContaining({ property: "bcrypt" })]);
    const other = await randomProvider.check!("urn:pulumi:dev::p::random:index/randomUuid:RandomUuid::u", {}, {});
    expect(other.failures?.[0]?.reason).toMatch(/implements only random:index\/randomPassword:RandomPassword/);
    expect((await randomProvider.check!(PASSWORD_URN, {}, { length: 0 })).failures).toEqual([expect.objectContaining({ property: "length" })]);
  });
});

describe("the command stand-in", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "command-"));

  it("runs a command with sh -c in its directory and environment, trimming the trailing newline", async () => {
    const r = await runCommand('printf "%s:%s\\n" "$(pwd)" "$GREETING"; echo err >&2', { dir: tmp, environment: { GREETING: "hello" } });
    expect(r).toEqual({ stdout: `${fs.realpathSync(tmp)}:hello`, stderr: "err" });
  });

  it("fails with the command's status and output", async () => {
    await expect(runCommand("echo out; echo bad >&2; exit 3", {})).rejects.toThrow(/status 3[\s\S]*out[\s\S]*bad/);
  });

  it("runs create on create, update (or create) on update with the previous output, and delete on delete", async () => {
    const log = path.join(tmp, "log");
    const inputs = { create: `echo created >> ${log}; echo c`, update: `echo "updated after $PULUMI_COMMAND_STDOUT" >> ${log}; echo u`, delete: `echo deleted >> ${log}` };
    const created = await commandProvider.create!(COMMAND_URN, inputs);
    expect(created.outs.stdout).toBe("c");
    const updated = await commandProvider.update!(created.id, COMMAND_URN, created.outs, { ...inputs, environment: { X: "1" } });
    expect(updated.outs.stdout).toBe("u");
    await commandProvider.delete!(created.id, COMMAND_URN, updated.outs);
    expect(fs.readFileSync(log, "utf8")).toBe("created\nupdated after c\ndeleted\n");
  });

  it("replaces on a changed trigger, updates on any other change, and does nothing when nothing changed", async () => {
    const olds = { create: "true", triggers: ["a"], stdout: "", stderr: "" };
    expect(await commandProvider.diff!("id", COMMAND_URN, olds, { create: "true", triggers: ["a"] })).toEqual({ changes: false, replaces: [] });
    expect(await commandProvider.diff!("id", COMMAND_URN, olds, { create: "true", triggers: ["b"] })).toEqual({ changes: true, replaces: ["triggers"] });
    expect(await commandProvider.diff!("id", COMMAND_URN, olds, { create: "false", triggers: ["a"] })).toEqual({ changes: true, replaces: [] });
  });

  it("keeps output secret when an input was secret, and refuses remote commands", async () => {
    const r = await commandProvider.create!(COMMAND_URN, { create: "echo $TOKEN", environment: { TOKEN: secret("s3cret") } });
    expect(isSecret(r.outs.stdout)).toBe(true);
    expect(plain(r.outs.stdout)).toBe("s3cret");
    const remote = await commandProvider.check!("urn:pulumi:dev::p::command:remote:Command::r", {}, { create: "true" });
    expect(remote.failures?.[0]?.reason).toMatch(/implements only command:local:Command/);
  });
});
