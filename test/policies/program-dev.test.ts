import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, type Evaluation } from "../harness/program";
import { resourcesOf, runPack } from "./program";

let ev: Evaluation;
beforeAll(async () => {
  ev = await evaluateStack("dev");
});

describe("the pack on the real dev stack (Pulumi.dev.yaml, policies/config/dev.json)", () => {
  it("feeds the pack every container, network, volume and image", () => {
    const types = new Set(resourcesOf(ev).map((r) => r.type));
    for (const t of ["docker:index/container:Container", "docker:index/network:Network", "docker:index/volume:Volume", "docker:index/remoteImage:RemoteImage"]) expect(types).toContain(t);
  });

  it("reports no violation and no advisory: every rule, the backup and gateway ones included, applies and passes", async () => {
    const r = await runPack(resourcesOf(ev), "dev");
    expect(r.mandatory.map((d) => `${d.policy}: ${d.message}`)).toEqual([]);
    expect(r.advisories.map((d) => `${d.policy}: ${d.message}`)).toEqual([]);
  });
});
