import { describe, expect, it } from "vitest";
import { looksSecret, secretEnvValues, weakness } from "../../../policies/container/secret-env-values";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("secret-env-values", () => {
  it("knows which names hold credentials", () => {
    expect(["NEO4J_PASSWORD", "NEO4J_AUTH", "OPENAI_API_KEY", "GITHUB_TOKEN", "CLIENT_SECRET"].filter(looksSecret)).toHaveLength(5);
    expect(["GMAIL_OAUTH_PATH", "NEO4J_USER", "EMBEDDING_MODEL", "MONKEY", "KEYBOARD_LAYOUT", "SECRET_FILE"].filter(looksSecret)).toEqual([]);
  });
  it("knows weak values, including inside NEO4J_AUTH=neo4j/<password>", () => {
    expect(weakness("neo4j/demodemo", [], 12)).toBe("is a published default or placeholder");
    expect(weakness("your_openai_key", [], 12)).toBe("is a published default or placeholder");
    expect(weakness("short", [], 12)).toBe("is shorter than 12 characters");
    expect(weakness("neo4j/generated-Zq8x1Lr4Vb7Nc0Kw", [], 12)).toBeUndefined();
  });
  it("passes generated and long values", async () => {
    expectClean(await runPolicy(secretEnvValues, container({ envs: ["NEO4J_AUTH=neo4j/generated-Zq8x1Lr4Vb7Nc0Kw", "OPENAI_API_KEY=sk-test-0123456789abcdef", "NEO4J_USER=neo4j"] })));
  });
  it("reports the runbook's demodemo, Neo4j's default and a placeholder, on a container and a service", async () => {
    expectViolations(
      await runPolicy(secretEnvValues, container({ envs: ["NEO4J_PASSWORD=demodemo", "NEO4J_AUTH=neo4j/neo4j", "OPENAI_API_KEY=your_openai_key"] })),
      ["NEO4J_PASSWORD is a published default or placeholder", "pulumi config set --secret"],
      ["NEO4J_AUTH is a published default"],
      ["OPENAI_API_KEY is a published default"],
    );
    expectViolations(await runPolicy(secretEnvValues, service({}, { env: { DB_PASSWORD: "changeme" } })), ["DB_PASSWORD"]);
  });
  it("takes extra weak values from config", async () => {
    expectViolations(await runPolicy(secretEnvValues, container({ envs: ["API_TOKEN=corporate-default-1"] }), { weakValues: ["corporate-default-1"] }), ["API_TOKEN"]);
  });
  it("can't decide while an entry is unknown (a secret output not resolved yet)", async () => {
    expectUndecided(await runPolicy(secretEnvValues, container({ envs: ["PORT=8080", UNKNOWN_STRING] })), "env");
  });
});
