// The coverage table (policies/coverage.ts) against the installed provider: every input field of
// docker.Container and docker.Service classified, every relevant one judged by a rule of the pack.
import { describe, expect, it } from "vitest";
import { COVERAGE } from "../../policies/coverage";
import { policies } from "../../policies/policies";
import { providerInputFields } from "./provider-types";

const fields = providerInputFields();
const names = new Set(policies.map((p) => p.name));

describe("the coverage table of the provider's inputs", () => {
  it("reads the installed @pulumi/docker: Container's and Service's inputs and their nested specs", () => {
    expect(fields.length).toBeGreaterThan(250);
    expect(fields.map((f) => f.path)).toEqual(expect.arrayContaining(["Container.privileged", "Container.mounts.bindOptions.propagation", "Service.taskSpec.containerSpec.privileges.seLinuxContext.type"]));
  });

  it("classifies every input field (a provider upgrade that adds one fails here until it is classified)", () => {
    const missing = fields.map((f) => f.path).filter((p) => !(p in COVERAGE));
    expect(missing, "add these to policies/coverage.ts, security-relevant or not, with the reason").toEqual([]);
  });

  it("classifies nothing the provider no longer has", () => {
    const known = new Set(fields.map((f) => f.path));
    expect(Object.keys(COVERAGE).filter((p) => !known.has(p))).toEqual([]);
  });

  it("names a rule of the pack for every security-relevant field, and only rules the pack has", () => {
    for (const [path, c] of Object.entries(COVERAGE)) {
      expect(c.reason.length, path).toBeGreaterThan(10);
      if (c.relevant) expect(c.rules.length, `${path} is security-relevant: name the rule that judges it`).toBeGreaterThan(0);
      for (const r of c.rules) expect(names.has(r), `${path} names ${r}, which is not a rule of the pack`).toBe(true);
    }
  });
});
