import { describe, it } from "vitest";
import { noPrivileged } from "../../../policies/container/no-privileged";
import { UNKNOWN_BOOLEAN, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("no-privileged (CIS 5.5)", () => {
  it("passes the platform's container and a Swarm service (which can't be privileged)", async () => {
    expectClean(await runPolicy(noPrivileged, [container(), service()]));
  });
  it("reports a privileged container, saying what to do instead", async () => {
    expectViolations(await runPolicy(noPrivileged, container({ privileged: true })), ["service gmail (mcp-server) runs privileged", "Remove privileged: true"]);
  });
  it("can't decide while privileged is unknown", async () => {
    expectUndecided(await runPolicy(noPrivileged, container({ privileged: UNKNOWN_BOOLEAN })), "privileged");
  });
  it("exempts a service named by a config exception with a reason, and only that one", async () => {
    const config = { exceptions: [{ service: "gmail", reason: "test exception with a reason" }] };
    expectClean(await runPolicy(noPrivileged, container({ privileged: true }), config));
    expectViolations(await runPolicy(noPrivileged, container({ privileged: true }), { exceptions: [{ service: "gmail", reason: "" }] }), ["runs privileged"]);
  });
});
