import { describe, it } from "vitest";
import { capabilitiesRestricted } from "../../../policies/container/capabilities-restricted";
import { UNKNOWN_ARRAY, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service, withLabels } from "../fixtures";

describe("capabilities-restricted (CIS 5.4)", () => {
  it("passes ALL dropped and nothing added, on a container and a service", async () => {
    expectClean(await runPolicy(capabilitiesRestricted, [container(), service()]));
  });
  it("reports a container that keeps Docker's default capabilities", async () => {
    expectViolations(await runPolicy(capabilitiesRestricted, container({ capabilities: undefined })), ["keeps Docker's default capabilities", 'drops: ["ALL"]']);
  });
  it("reports an added capability no config grants, and names it", async () => {
    expectViolations(await runPolicy(capabilitiesRestricted, container({ capabilities: { drops: ["ALL"], adds: ["NET_ADMIN"] } })), ["adds NET_ADMIN", "add an exception"]);
    expectViolations(await runPolicy(capabilitiesRestricted, service({}, { capAdds: ["SYS_ADMIN"] })), ["adds SYS_ADMIN"]);
  });
  it("grants a capability by an exception naming the service (or component), the capability and the reason", async () => {
    const init = withLabels(container({ user: "0:0", capabilities: { drops: ["ALL"], adds: ["CHOWN"] } }), { service: "gmail", component: "volume-init" });
    const config = { exceptions: [{ component: "volume-init", capabilities: ["CHOWN"], reason: "one-shot chown of a mount point" }] };
    expectClean(await runPolicy(capabilitiesRestricted, init, config));
    // The same capability as the platform declares it (as Docker stores it).
    const declared = withLabels(container({ user: "0:0", capabilities: { drops: ["ALL"], adds: ["CAP_CHOWN"] } }), { service: "gmail", component: "volume-init" });
    expectClean(await runPolicy(capabilitiesRestricted, declared, config));
    // The exception grants CHOWN, not anything else.
    const more = withLabels(container({ capabilities: { drops: ["ALL"], adds: ["CHOWN", "SETUID"] } }), { service: "gmail", component: "volume-init" });
    expectViolations(await runPolicy(capabilitiesRestricted, more, config), ["adds SETUID"]);
  });
  it("can't decide while the capability lists are unknown", async () => {
    expectUndecided(await runPolicy(capabilitiesRestricted, container({ capabilities: { drops: UNKNOWN_ARRAY } })), "capabilities");
  });
});
