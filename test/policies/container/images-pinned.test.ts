import { describe, expect, it } from "vitest";
import { imagesPinned, pinProblem } from "../../../policies/container/images-pinned";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, remoteImage, service } from "../fixtures";

const DIGEST = `sha256:${"0f".repeat(32)}`;

describe("images-pinned (CIS 5.28)", () => {
  it("reads image references: tags, digests, registries with ports, image ids", () => {
    expect(pinProblem("neo4j:5.26", false)).toBeUndefined();
    expect(pinProblem("registry.local:5000/pa/gmail:1.1.11", false)).toBeUndefined();
    expect(pinProblem("registry.local:5000/pa/gmail", false)).toBe("has no tag, so Docker pulls latest");
    expect(pinProblem("gmail-mcp-server:latest", false)).toBe("uses the latest tag");
    expect(pinProblem(`neo4j:5.26@${DIGEST}`, true)).toBeUndefined();
    expect(pinProblem(DIGEST, true)).toBeUndefined();
    expect(pinProblem("neo4j:5.26", true)).toContain("pinned by tag (5.26) only");
  });
  it("passes a container running a pulled image's id and a service pinned by digest", async () => {
    expectClean(await runPolicy(imagesPinned, [container(), service(), remoteImage("neo4j:5.26")], { requireDigest: false }));
  });
  it("reports latest and untagged images on containers, services and pulled images", async () => {
    expectViolations(await runPolicy(imagesPinned, container({ image: "gmail-mcp-server:latest" })), ["its image gmail-mcp-server:latest uses the latest tag", "registry/name:1.2.3"]);
    expectViolations(await runPolicy(imagesPinned, service({}, { image: "neo4j" })), ["has no tag"]);
    expectViolations(await runPolicy(imagesPinned, remoteImage("aquasec/trivy:latest")), ["Image aquasec/trivy:latest uses the latest tag"]);
  });
  it("requires a digest where config says so (prod), and refuses builds on the host there", async () => {
    const prod = { requireDigest: true, allowLocalBuilds: false };
    expectViolations(await runPolicy(imagesPinned, remoteImage("neo4j:5.26"), prod), ["pinned by tag (5.26) only", "@sha256:<digest>"]);
    expectClean(await runPolicy(imagesPinned, remoteImage(`neo4j:5.26@${DIGEST}`), prod));
    expectViolations(await runPolicy(imagesPinned, remoteImage("mcp-platform/gmail:prod", { context: "/src/gmail-mcp" }), prod), ["is built on the Docker host", "build and push it"]);
    expectClean(await runPolicy(imagesPinned, remoteImage("mcp-platform/gmail:dev", { context: "/src/gmail-mcp" })));
  });
  it("in a preview, judges a container running a RemoteImage's id (unknown until the pull) by that RemoteImage's name", async () => {
    const pulled = computedFrom(container({ image: UNKNOWN_STRING }), { image: ["neo4j-image"] });
    const prod = { requireDigest: true, allowLocalBuilds: false };
    expectClean(await runPolicy(imagesPinned, [remoteImage(`neo4j:5.26@${DIGEST}`), pulled], prod));
    // The verdict lands on the image reference, once, however many containers run it.
    expectViolations(await runPolicy(imagesPinned, [remoteImage("neo4j:5.26"), pulled, { ...pulled, name: "neo4j-2" }], prod), ["Image neo4j:5.26 is pinned by tag (5.26) only"]);
    const swarm = computedFrom(service({}, { image: UNKNOWN_STRING }), { taskSpec: ["neo4j-image", "networks-backend"] });
    expectClean(await runPolicy(imagesPinned, [remoteImage(`neo4j:5.26@${DIGEST}`), swarm], prod));
  });
  it("can't decide on an image computed from something other than a RemoteImage, and says from what", async () => {
    expectUndecided(await runPolicy(imagesPinned, computedFrom(container({ image: UNKNOWN_STRING }), { image: ["image-lookup"] })), "image of gmail-1, computed from Other image-lookup");
    expectUndecided(await runPolicy(imagesPinned, container({ image: UNKNOWN_STRING })), "image of gmail-1, computed from no resource of this stack");
  });
});
