import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, type Evaluation } from "../harness/program";
import { DIGEST, NOT_APPLICABLE_YET, PINNED, resourcesOf, runPack } from "./program";

let pinned: Evaluation;
beforeAll(async () => {
  pinned = await evaluateStack("prod", { config: PINNED });
});

describe("the pack on the real prod stack (Pulumi.prod.yaml, policies/config/prod.json)", () => {
  it("with its images pinned by digest: no violation, only the advisories of the rules that wait for the backup and the gateway", async () => {
    const r = await runPack(resourcesOf(pinned), "prod");
    expect(r.mandatory.map((d) => `${d.policy}: ${d.message}`)).toEqual([]);
    expect(r.advisories.map((d) => d.policy).sort()).toEqual(NOT_APPLICABLE_YET);
  });

  it("as committed, refuses exactly its images pinned by tag only, each with the fix", async () => {
    // Same resources with the committed image names: only RemoteImage.name differs.
    const committed = resourcesOf(pinned).map((r) =>
      r.type === "docker:index/remoteImage:RemoteImage" ? { ...r, props: { ...r.props, name: String(r.props.name).replace(`@${DIGEST}`, "") } } : r,
    );
    const r = await runPack(committed, "prod");
    expect(r.mandatory.map((d) => d.policy)).toEqual(Array(5).fill("images-pinned"));
    expect(r.mandatory.map((d) => d.message.split("\n")[1])).toContain(
      "Image neo4j:5.26 is pinned by tag (5.26) only; a tag can be moved to another image. Pin it: registry/name:1.2.3@sha256:<digest>.",
    );
  });
});
