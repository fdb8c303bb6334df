import { beforeAll, describe, expect, it } from "vitest";
import { evaluateStack, type Evaluation } from "../harness/program";
import { UNKNOWN_STRING, type TestResource } from "../harness/policy";
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

  it("on a first preview, where image ids and the generated password are unknown, can't decide instead of failing or passing", async () => {
    // What the engine shows before the images are pulled and the password generated: unknown values.
    const firstPreview: TestResource[] = resourcesOf(ev).map((r) => {
      if (r.type !== "docker:index/container:Container") return r;
      const envs = (r.props.envs as string[] | undefined)?.map((e) => (e.includes("generated-") ? UNKNOWN_STRING : e));
      return { ...r, props: { ...r.props, image: UNKNOWN_STRING, ...(envs ? { envs } : {}) } };
    });
    const r = await runPack(firstPreview, "dev");
    expect(r.mandatory).toEqual([]);
    const undecided = r.advisories.filter((d) => d.message.startsWith("can't run policy"));
    const containers = firstPreview.filter((x) => x.type === "docker:index/container:Container").length;
    expect(undecided.filter((d) => d.policy === "images-pinned")).toHaveLength(containers);
    // Neo4j's NEO4J_AUTH, and graphiti's and the backup's NEO4J_PASSWORD hold the generated password.
    expect(undecided.filter((d) => d.policy === "secret-env-values").map((d) => d.urn ?? d.message).length).toBe(3);
    for (const d of undecided) expect(d.message).toContain("not checked, values unknown until apply");
  });
});
