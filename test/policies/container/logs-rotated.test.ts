import { describe, it } from "vitest";
import { logsRotated } from "../../../policies/container/logs-rotated";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("logs-rotated (runbook: log rotation)", () => {
  it("passes json-file rotated at 10m × 3, on a container and a service", async () => {
    expectClean(await runPolicy(logsRotated, [container(), service()]));
  });
  it("reports another driver, the daemon default, and json-file without rotation", async () => {
    expectViolations(await runPolicy(logsRotated, container({ logDriver: "syslog" })), ["logs with syslog", "json-file"]);
    expectViolations(await runPolicy(logsRotated, container({ logDriver: undefined })), ["the daemon's default driver"]);
    expectViolations(await runPolicy(logsRotated, container({ logOpts: {} })), ["does not rotate its logs", "max-size (10m)"]);
  });
  it("can't decide while the driver is unknown", async () => {
    expectUndecided(await runPolicy(logsRotated, container({ logDriver: UNKNOWN_STRING })), "logging");
  });
});
