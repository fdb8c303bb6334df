import { describe, it } from "vitest";
import { mountPropagationNotShared } from "../../../policies/container/mount-propagation-not-shared";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations } from "../fixtures";

const propagated = (propagation: string) => container({ mounts: [{ type: "bind", source: "/srv/x", target: "/x", readOnly: true, bindOptions: { propagation } }] });

describe("mount-propagation-not-shared (CIS 5.20)", () => {
  it("passes private propagation", async () => {
    expectClean(await runPolicy(mountPropagationNotShared, [container(), propagated("rprivate")]));
  });
  it("reports shared and rshared", async () => {
    expectViolations(await runPolicy(mountPropagationNotShared, propagated("shared")), ["with shared propagation", "Remove the propagation option"]);
    expectViolations(await runPolicy(mountPropagationNotShared, propagated("rshared")), ["rshared"]);
  });
  it("can't decide while the propagation is unknown", async () => {
    expectUndecided(await runPolicy(mountPropagationNotShared, propagated(UNKNOWN_STRING)), "mounts");
  });
});
