// The pack in a preview of the real prod stack in Swarm mode, modelled as the engine runs it (see dev.test.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { swarmConfig } from "../../harness/stack-files";
import { evaluateStack, type Evaluation } from "../../harness/program";
import { UNKNOWN_STRING } from "../../harness/policy";
import { resourcesOf, runPack } from "../program";

let swarm: Evaluation;
beforeAll(async () => {
  swarm = await evaluateStack("prod", { preview: true, config: swarmConfig("prod") });
});

describe("the pack in a preview of the prod stack on a Swarm", () => {
  it("sees what a real preview shows: images unknown, and every endpointSpec known (DNS round robin, no VIP)", () => {
    const services = resourcesOf(swarm).filter((r) => r.type === "docker:index/service:Service");
    expect(services.length).toBeGreaterThan(5);
    expect(services.every((s) => (s.props.taskSpec as { containerSpec: { image: unknown } }).containerSpec.image === UNKNOWN_STRING)).toBe(true);
    expect(services.every((s) => (s.props.endpointSpec as { mode?: string } | undefined)?.mode === "dnsrr")).toBe(true);
  });

  it("decides every rule: no violation, and nothing left 'not checked' (the monitor's files are Swarm configs and secrets here)", async () => {
    const r = await runPack(resourcesOf(swarm), "prod");
    expect(r.diagnostics.map((d) => `${d.level} ${d.policy}: ${d.message}`)).toEqual([]);
  });
});
