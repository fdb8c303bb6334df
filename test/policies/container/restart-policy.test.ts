import { describe, it } from "vitest";
import { restartPolicy } from "../../../policies/container/restart-policy";
import { UNKNOWN_NUMBER, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service, withLabels } from "../fixtures";

describe("restart-policy (CIS 5.15)", () => {
  it("passes on-failure with at most 5 retries, on a container and a service", async () => {
    expectClean(await runPolicy(restartPolicy, [container(), service()]));
  });
  it("reports always, no restart, and on-failure without a limit or over 5", async () => {
    expectViolations(await runPolicy(restartPolicy, container({ restart: "always" })), ['restart policy "always"', "Use on-failure"]);
    expectViolations(await runPolicy(restartPolicy, container({ restart: undefined, maxRetryCount: undefined })), ['restart policy "no"']);
    expectViolations(await runPolicy(restartPolicy, container({ maxRetryCount: 0 })), ["without a retry limit", "at most 5"]);
    expectViolations(await runPolicy(restartPolicy, container({ maxRetryCount: 10 })), ["10 times"]);
  });
  it("allows unless-stopped only where config says so", async () => {
    expectViolations(await runPolicy(restartPolicy, container({ restart: "unless-stopped" })), ['"unless-stopped"']);
    expectClean(await runPolicy(restartPolicy, container({ restart: "unless-stopped" }), { allowed: ["on-failure", "unless-stopped"] }));
  });
  it("exempts one-shot containers by component (they must not restart)", async () => {
    const init = withLabels(container({ restart: "no" }), { service: "gmail", component: "volume-init" });
    expectClean(await runPolicy(restartPolicy, init, { exceptions: [{ component: "volume-init", reason: "runs once to completion" }] }));
  });
  it("can't decide while the retry count is unknown", async () => {
    expectUndecided(await runPolicy(restartPolicy, container({ maxRetryCount: UNKNOWN_NUMBER })), "restart policy");
  });
});
