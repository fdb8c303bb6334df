import { describe, it } from "vitest";
import { healthcheck } from "../../../policies/container/healthcheck";
import { UNKNOWN_ARRAY, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service, withLabels } from "../fixtures";

describe("healthcheck (CIS 5.27)", () => {
  it("passes a declared healthcheck on a container and a service", async () => {
    expectClean(await runPolicy(healthcheck, [container(), service()]));
  });
  it("reports none, and a healthcheck disabled with NONE", async () => {
    expectViolations(await runPolicy(healthcheck, container({ healthcheck: undefined })), ["has no healthcheck", '"CMD", "wget"']);
    expectViolations(await runPolicy(healthcheck, container({ healthcheck: { tests: ["NONE"] } })), ["has no healthcheck"]);
  });
  it("exempts one-shot containers by component", async () => {
    const init = withLabels(container({ healthcheck: undefined }), { service: "gmail", component: "volume-init" });
    expectClean(await runPolicy(healthcheck, init, { exceptions: [{ component: "volume-init", reason: "runs once to completion" }] }));
  });
  it("can't decide while the test command is unknown", async () => {
    expectUndecided(await runPolicy(healthcheck, container({ healthcheck: { tests: UNKNOWN_ARRAY } })), "healthcheck");
  });
});
