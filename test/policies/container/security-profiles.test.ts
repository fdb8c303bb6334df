import { describe, it } from "vitest";
import { securityProfiles } from "../../../policies/container/security-profiles";
import { UNKNOWN_ARRAY, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("security-profiles-not-disabled (CIS 5.2, 5.3, 5.22)", () => {
  it("passes Docker's default profiles", async () => {
    expectClean(await runPolicy(securityProfiles, [container(), service()]));
  });
  it("reports seccomp and AppArmor unconfined, and SELinux labels disabled", async () => {
    const r = await runPolicy(securityProfiles, container({ securityOpts: ["no-new-privileges:true", "seccomp=unconfined", "apparmor:unconfined", "label=disable"] }));
    expectViolations(r, ["disables its seccomp profile"], ["disables its apparmor profile"], ["disables SELinux labelling"]);
  });
  it("reports a Swarm service whose SELinux context is disabled", async () => {
    expectViolations(await runPolicy(securityProfiles, service({}, { privileges: { seLinuxContext: { disable: true } } })), ["disables SELinux"]);
  });
  it("can't decide while securityOpts is unknown", async () => {
    expectUndecided(await runPolicy(securityProfiles, container({ securityOpts: UNKNOWN_ARRAY })), "securityOpts");
  });
});

describe("security-profiles-not-disabled: every way out of confinement", () => {
  it("reports unmasked system paths and SELinux super-privileged or unconfined types", async () => {
    expectViolations(await runPolicy(securityProfiles, container({ securityOpts: ["no-new-privileges:true", "systempaths=unconfined"] })), ["unmasks /proc and /sys"]);
    expectViolations(await runPolicy(securityProfiles, container({ securityOpts: ["label=type:spc_t"] })), ["spc_t (a super-privileged container)"]);
    expectViolations(await runPolicy(securityProfiles, service({}, { privileges: { seLinuxContext: { type: "unconfined_t" } } })), ["SELinux type unconfined_t", "seLinuxContext.type"]);
  });
});
