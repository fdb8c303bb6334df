import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { evaluateStack } from "../harness/program";

describe("a stack with bad configuration", () => {
  it("stops before declaring a single resource, with every problem and no stack trace", async () => {
    let error: unknown;
    try {
      await evaluateStack("dev", {
        config: { "mcp-platform:services": '{"graphiti":{"memoryMb":"lots"}}', "mcp-platform:neo4j": '{"memroyMb":1}' },
        secrets: {},
      });
    } catch (e) {
      error = e;
    }
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('mcp-platform:services.graphiti.memoryMb must be a positive integer (got "lots")');
    expect(message).toContain("mcp-platform:neo4j.memroyMb is not a known setting: did you mean memoryMb?");
    expect(message).toMatch(/nothing was deployed/);
  });
});
