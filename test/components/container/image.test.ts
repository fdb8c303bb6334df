import { describe, expect, it } from "vitest";
import { pushTarget, requireRepoDigest } from "../../../components/container/image";

describe("images on a Swarm", () => {
  it("pushes a build under the registry's name, tagged with the stack, and reads its digest over the registry's scheme", () => {
    expect(pushTarget("registry.example.com:5000/team", "gmail", "prod")).toEqual({
      repository: "registry.example.com:5000/team/mcp-platform/gmail",
      tag: "prod",
      address: "https://registry.example.com:5000",
    });
    expect(pushTarget("http://127.0.0.1:5000", "rag", "dev")).toEqual({ repository: "127.0.0.1:5000/mcp-platform/rag", tag: "dev", address: "http://127.0.0.1:5000" });
  });

  it("takes a repo digest, and refuses an image that has none with what to do about it", () => {
    expect(requireRepoDigest("neo4j", "neo4j:5.26", `neo4j@sha256:${"a".repeat(64)}`)).toBe(`neo4j@sha256:${"a".repeat(64)}`);
    for (const none of ["", undefined, "sha256:abc"])
      expect(() => requireRepoDigest("neo4j", "my-neo4j:dev", none)).toThrow(
        /neo4j: the image my-neo4j:dev has no registry digest on the Docker host .*push it to a registry the nodes can reach/,
      );
  });
});
