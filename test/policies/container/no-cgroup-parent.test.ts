import { describe, it } from "vitest";
import { noCgroupParent } from "../../../policies/container/no-cgroup-parent";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations } from "../fixtures";

describe("no-cgroup-parent (CIS 5.25)", () => {
  it("passes Docker's default cgroup", async () => {
    expectClean(await runPolicy(noCgroupParent, container()));
  });
  it("reports a cgroup parent", async () => {
    expectViolations(await runPolicy(noCgroupParent, container({ cgroupParent: "/system.slice" })), ["sets cgroupParent /system.slice", "Remove it"]);
  });
  it("can't decide while it is unknown", async () => {
    expectUndecided(await runPolicy(noCgroupParent, container({ cgroupParent: UNKNOWN_STRING })), "cgroupParent");
  });
});
