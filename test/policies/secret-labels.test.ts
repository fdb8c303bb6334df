// The pack tells secretEnv entries and secret files from plain ones by the labels the platform writes
// (components/container/defaults.ts), because policies receive secret values unmarked. Here the labels
// are held to where the stack's secrets really land: every env entry that carries a secret value (a secret
// config value, a generated password) is named and nothing else is; every uploaded file written as a secret
// (0400) is named, nothing else is, and every upload carrying a secret value is among them.
import { beforeAll, describe, expect, it } from "vitest";
import { SECRET_ENV_LABEL, SECRET_FILES_LABEL } from "../../components/container/defaults";
import { evaluateStack, reveal, type Evaluation } from "../harness/program";
import { FAKE_SECRETS } from "../harness/stack-files";

let dev: Evaluation;
beforeAll(async () => {
  dev = await evaluateStack("dev");
});

const labelOf = (inputs: Record<string, unknown>, key: string) =>
  new Set(String(((inputs.labels ?? []) as { label: string; value: string }[]).find((l) => l.label === key)?.value ?? "").split(",").filter(Boolean));

describe("the secret labels on the dev stack's containers", () => {
  it("name exactly the env entries that carry a secret value and the files written as secrets", () => {
    // The mocks generate passwords as generated-<name>-…; secret config values are the fake ones.
    const carriesSecret = (v: string) => v.includes("generated-") || Object.values(FAKE_SECRETS).some((s) => v.includes(s));
    let secrets = 0;
    for (const c of dev.byType("docker:index/container:Container")) {
      const inputs = reveal(c.inputs) as Record<string, unknown>;
      const envs = (inputs.envs ?? []) as string[];
      const secretNames = envs.filter(carriesSecret).map((e) => e.split("=")[0]);
      expect(labelOf(inputs, SECRET_ENV_LABEL), `${c.name} ${SECRET_ENV_LABEL}`).toEqual(new Set(secretNames));
      // Secret files are written 0400 (components/container/init.ts); any upload carrying a secret value must be one.
      const uploads = (inputs.uploads ?? []) as { file: string; content: string; permissions?: string }[];
      const secretFiles = uploads.filter((u) => u.permissions === "0400").map((u) => u.file);
      for (const u of uploads.filter((x) => carriesSecret(String(x.content)))) expect(secretFiles, `${c.name} ${u.file} carries a secret`).toContain(u.file);
      expect(labelOf(inputs, SECRET_FILES_LABEL), `${c.name} ${SECRET_FILES_LABEL}`).toEqual(new Set(secretFiles));
      secrets += secretNames.length + secretFiles.length;
    }
    // Neo4j's password (neo4j, graphiti, backup), graphiti's OpenAI key, gmail's OAuth keys file.
    expect(secrets).toBeGreaterThanOrEqual(5);
  });
});
