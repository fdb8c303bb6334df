// The pack in a preview of the real prod stack, modelled as the engine runs it (test/policies/program.ts):
// image ids and the generated password unknown, every field the provider computes unknown in the stack's
// planned outputs, and the engine's property dependencies. Seen so on the real engine; the end-to-end test
// runs the real preview.
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, type Evaluation } from "../../harness/program";
import { UNKNOWN_STRING } from "../../harness/policy";
import { resourcesOf, runPack } from "../program";

let prod: Evaluation;
beforeAll(async () => {
  prod = await evaluateStack("prod", { preview: true });
});

describe("the pack in a preview of the prod stack", () => {
  it("sees what a real preview shows: image ids and the generated password unknown", () => {
    const containers = resourcesOf(prod).filter((r) => r.type === "docker:index/container:Container");
    expect(containers.every((c) => c.props.image === UNKNOWN_STRING)).toBe(true);
    expect(containers.filter((c) => ((c.props.envs ?? []) as unknown[]).includes(UNKNOWN_STRING)).map((c) => c.name).sort()).toEqual(["backup", "graphiti-1", "graphiti-2", "neo4j"]);
  });

  it("decides every rule: no violation, and no rule left 'not checked'", async () => {
    const r = await runPack(resourcesOf(prod), "prod");
    expect(r.diagnostics.map((d) => `${d.level} ${d.policy}: ${d.message}`)).toEqual([]);
  });
});
