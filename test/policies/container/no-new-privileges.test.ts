import { describe, expect, it } from "vitest";
import { noNewPrivileges } from "../../../policies/container/no-new-privileges";
import { UNKNOWN_ARRAY, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("no-new-privileges (CIS 5.26)", () => {
  it("passes no-new-privileges in any of Docker's spellings", async () => {
    for (const o of ["no-new-privileges:true", "no-new-privileges=true", "no-new-privileges"])
      expectClean(await runPolicy(noNewPrivileges, container({ securityOpts: [o] })));
  });
  it("reports a container without it", async () => {
    expectViolations(await runPolicy(noNewPrivileges, container({ securityOpts: [] })), ["does not set no-new-privileges", '"no-new-privileges:true"']);
  });
  it("says it does not apply to a Swarm service, which has no securityOpts (not a silent pass)", async () => {
    const r = await runPolicy(noNewPrivileges, service());
    expect(r.diagnostics).toEqual([]);
    expect(r.notApplicable).toEqual([{ policy: "no-new-privileges", reason: expect.stringContaining("docker.Service has no securityOpts") }]);
  });
  it("can't decide while securityOpts is unknown", async () => {
    expectUndecided(await runPolicy(noNewPrivileges, container({ securityOpts: UNKNOWN_ARRAY })), "securityOpts");
  });
});
