import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, type Evaluation } from "../harness/program";
import { NOT_APPLICABLE_YET, resourcesOf, runPack } from "./program";

// Pulumi.prod.yaml names its images by tag and says to replace them with digests; the prod policy config
// requires digests, so the stack as committed is refused until that is done. This is how a user pins them.
const DIGEST = `sha256:${"5e".repeat(32)}`;
const PINNED = {
  "mcp-platform:neo4j": JSON.stringify({ image: `neo4j:5.26@${DIGEST}`, memoryMb: 4096, cpus: 2 }),
  "mcp-platform:services": JSON.stringify({
    gmail: { image: `registry.example.com/pa/gmail-mcp:1.1.11@${DIGEST}`, replicas: 2, memoryMb: 1024, cpus: 1 },
    graphiti: { image: `zepai/knowledge-graph-mcp:1.0.1-standalone@${DIGEST}`, replicas: 2, memoryMb: 2048, cpus: 2 },
    rag: { image: `registry.example.com/pa/rag-mcp:1.0.0@${DIGEST}`, replicas: 2, memoryMb: 1024, cpus: 1 },
  }),
  "mcp-platform:healthMonitor": JSON.stringify({ image: `registry.example.com/pa/health-monitor:1.0.0@${DIGEST}`, memoryMb: 256, cpus: 0.5 }),
};

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
