// The user's own path: the Pulumi CLI runs index.ts through the nodejs language host (`pulumi preview`
// as the README's deploy command starts it), against the suite's engine. The policy pack runs in the
// other files' operations (this CLI build's language host cannot run one).
import { beforeAll, describe, expect, it } from "vitest";
import { ready, tryReady } from "./lib/context";
import { E2EStack } from "./lib/stack";

describe("the Pulumi CLI running the program", () => {
  let stack: E2EStack;

  beforeAll(async () => {
    const r = tryReady();
    if (!r) return;
    stack = new E2EStack("e2e-cli", r.toolchain);
    await stack.init({
      base: "dev",
      config: { dockerHost: r.engineHost, sourceRoot: r.images.sourceRoot },
      secrets: { openaiApiKey: "sk-e2e-stand-in-not-a-key", gmailOauthKeys: JSON.stringify({ installed: { client_id: "e2e-client" } }) },
    });
  });

  it("previews the dev stack through the nodejs language host, asking the engine its API version", async (ctx) => {
    ready(ctx);
    const r = await stack.cli(["preview", "--diff"]);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/\+ \d+ to create/);
    expect(r.output).toMatch(/pulumi-language-nodejs/);
    // The engine answered (Docker 26, API 1.45): no notice about an old or unreachable engine.
    expect(r.output).not.toMatch(/could not ask the Docker engine|before Docker Engine 25/);
  });

  it("reports a config mistake by its key before anything is created", async (ctx) => {
    ready(ctx);
    await stack.pulumi(["config", "set", "--path", "services.gmail.replicas", "zero"]);
    const r = await stack.cli(["preview"]);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/mcp-platform:services\.gmail\.replicas must be a positive integer \(got "zero"\)/);
    expect(r.output).toMatch(/nothing was deployed/);
  });
});
