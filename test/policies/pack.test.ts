// The pack as `pulumi preview --policy-pack policies` runs it: started by @pulumi/pulumi's run-policy-pack
// from policies/ (compiled by ts-node, with @pulumi/policy found in the repository's node_modules), then
// configured and asked to analyze over gRPC, like the CLI does. Loopback only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policies } from "../../policies/policies";
import { RunningPack } from "../harness/pack-process";
import { evaluateStack } from "../harness/program";
import { UNKNOWN_STRING, runPolicies } from "../harness/policy";
import { container, network } from "./fixtures";
import { packConfig, resourcesOf } from "./program";
import { runbookStack } from "./runbook-stack";

let pack: RunningPack;
beforeAll(async () => {
  pack = await RunningPack.start();
}, 120_000);
afterAll(() => pack?.stop());

const key = (d: { policy: string; message: string; level: string }) => `${d.level} ${d.policy}: ${d.message}`;

describe("the policy pack, started as the Pulumi CLI starts it", () => {
  it("serves every policy of policies.ts under the pack's name, each mandatory by default", async () => {
    const info = await pack.info();
    expect(info.name).toBe("mcp-platform");
    expect(info.policies.map((p) => p.name)).toEqual(policies.map((p) => p.name));
    for (const p of info.policies) {
      expect(p.description, p.name).not.toBe("");
      expect(p.level, p.name).toBe("mandatory");
    }
  });

  it("with the prod config, reports on the runbook stack exactly what the test harness reports", async () => {
    const config = packConfig("prod");
    await pack.configure(config, policies.map((p) => p.name));
    const served = (await pack.analyze(runbookStack)).map(key).sort();
    const mirrored = (await runPolicies(policies, runbookStack, config)).diagnostics.map(key).sort();
    expect(served.length).toBeGreaterThan(40);
    expect(served).toEqual(mirrored);
  });

  it("passes the real dev stack with the dev config: no violation, no advisory", async () => {
    const config = packConfig("dev");
    const resources = resourcesOf(await evaluateStack("dev"));
    await pack.configure(config, policies.map((p) => p.name));
    const served = await pack.analyze(resources);
    expect(served.map(key).sort()).toEqual((await runPolicies(policies, resources, config)).diagnostics.map(key).sort());
    expect(served.filter((d) => d.level === "mandatory")).toEqual([]);
    expect(served.map((d) => `${d.level} ${d.policy}: ${d.message}`)).toEqual([]);
  });

  it("turns an unknown value into the SDK's advisory, and lets the dev config lower a rule to advisory", async () => {
    await pack.configure(packConfig("dev"), policies.map((p) => p.name));
    const served = await pack.analyze([network("mcp-dev-frontend", false), container({ image: UNKNOWN_STRING, cpus: undefined })]);
    expect(served.map(key)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^advisory images-pinned: can't run policy 'images-pinned' from policy pack 'mcp-platform@v0\.1\.0' during preview: not checked, values unknown until apply: image of gmail-1, computed from no resource of this stack/),
        expect.stringMatching(/^advisory cpu-limit: Containers have a CPU limit\.\nservice gmail \(mcp-server\) has no CPU limit/),
      ]),
    );
    expect(served.filter((d) => d.level === "mandatory")).toEqual([]);
  });
});
