// The pack in a preview of the real dev stack, modelled as the engine runs it (test/policies/program.ts):
// image ids and the generated password unknown, every field the provider computes unknown in the stack's
// planned outputs, and the engine's property dependencies. Seen so on the real engine; the end-to-end test
// runs the real preview.
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, type Evaluation } from "../../harness/program";
import { UNKNOWN_STRING } from "../../harness/policy";
import { resourcesOf, runPack } from "../program";
import { isKnownGap, KNOWN_GAPS } from "./known-gaps";

let dev: Evaluation;
beforeAll(async () => {
  dev = await evaluateStack("dev", { preview: true });
});

describe("the pack in a preview of the dev stack", () => {
  it("sees what a real preview shows: image ids and the generated password unknown", () => {
    const containers = resourcesOf(dev).filter((r) => r.type === "docker:index/container:Container");
    expect(containers.every((c) => c.props.image === UNKNOWN_STRING)).toBe(true);
    expect(containers.filter((c) => ((c.props.envs ?? []) as unknown[]).includes(UNKNOWN_STRING)).map((c) => c.name).sort()).toEqual(["graphiti-1", "neo4j"]);
  });

  it("decides every rule: no violation, and nothing left 'not checked' but the known gaps (known-gaps.ts)", async () => {
    const r = await runPack(resourcesOf(dev), "dev");
    const undecided = r.diagnostics.filter((d) => d.message.startsWith("can't run policy"));
    expect(r.diagnostics.filter((d) => !undecided.includes(d)).map((d) => `${d.level} ${d.policy}: ${d.message}`)).toEqual([]);
    expect(undecided.filter((d) => !isKnownGap(d.policy, d.urn, d.message)).map((d) => `${d.policy} ${d.urn}: ${d.message}`)).toEqual([]);
    // Each known gap shows up as itself, so closing one means removing it from the list.
    expect(undecided.map((d) => d.urn?.split("::").pop())).toEqual(KNOWN_GAPS.map((g) => g.resource));
  });
});
