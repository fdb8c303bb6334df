import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, type Evaluation } from "../harness/program";
import { swarmConfig } from "../harness/stack-files";
import { resourcesOf, runPack } from "./program";

let swarm: Evaluation;
beforeAll(async () => {
  swarm = await evaluateStack("prod", { config: swarmConfig("prod") });
});

describe("the pack on the real prod stack in Swarm mode (docker.Service), policies/config/prod.json", () => {
  it("reads Swarm services, the gateway's nginx config among its docker.ServiceConfigs, and finds no violation and no advisory", async () => {
    const resources = resourcesOf(swarm);
    expect(resources.filter((r) => r.type === "docker:index/service:Service").length).toBeGreaterThan(5);
    const r = await runPack(resources, "prod");
    expect(r.mandatory.map((d) => `${d.policy}: ${d.message}`)).toEqual([]);
    expect(r.advisories.map((d) => `${d.policy}: ${d.message}`)).toEqual([]);
  });

  it("says plainly where a Swarm service can't be held to a rule (no securityOpts: no no-new-privileges)", async () => {
    const r = await runPack(resourcesOf(swarm), "prod");
    expect(new Set(r.notApplicable.filter((n) => n.policy === "no-new-privileges").map((n) => n.reason))).toEqual(
      new Set(["docker.Service has no securityOpts input: Swarm can't set no-new-privileges"]),
    );
  });
});
