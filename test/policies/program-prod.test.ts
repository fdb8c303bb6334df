import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, type Evaluation } from "../harness/program";
import { PLACEHOLDER_DIGEST, resourcesOf, runPack } from "./program";

let prod: Evaluation;
beforeAll(async () => {
  prod = await evaluateStack("prod");
});

describe("the pack on the real prod stack (Pulumi.prod.yaml, policies/config/prod.json)", () => {
  it("as committed (images pinned by digest): no violation and no advisory", async () => {
    const r = await runPack(resourcesOf(prod), "prod");
    expect(r.mandatory.map((d) => `${d.policy}: ${d.message}`)).toEqual([]);
    expect(r.advisories.map((d) => `${d.policy}: ${d.message}`)).toEqual([]);
  });

  it("with its images named by tag only, refuses each of them, with the fix", async () => {
    // Same resources with the digests dropped from the image references: only RemoteImage.name differs.
    const tagged = resourcesOf(prod).map((r) =>
      r.type === "docker:index/remoteImage:RemoteImage" ? { ...r, props: { ...r.props, name: String(r.props.name).replace(`@${PLACEHOLDER_DIGEST}`, "") } } : r,
    );
    const r = await runPack(tagged, "prod");
    // One per image reference: neo4j (whose pulled image the backups run too), gmail, graphiti, rag, the monitor
    // and the gateway's haproxy.
    const stripped = resourcesOf(prod).filter((r) => r.type === "docker:index/remoteImage:RemoteImage" && String(r.props.name).includes(PLACEHOLDER_DIGEST));
    expect(stripped).toHaveLength(7);
    expect(r.mandatory.map((d) => d.policy)).toEqual(Array(stripped.length).fill("images-pinned"));
    expect(r.mandatory.map((d) => d.message.split("\n")[1])).toContain(
      "Image neo4j:5.26 is pinned by tag (5.26) only; a tag can be moved to another image. Pin it: registry/name:1.2.3@sha256:<digest>.",
    );
  });
});
