import { describe, it } from "vitest";
import { cpuLimit } from "../../../policies/container/cpu-limit";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("cpu-limit (CIS 5.12)", () => {
  it("passes cpus, a CPU quota, or a service's nanoCpus", async () => {
    expectClean(await runPolicy(cpuLimit, [container(), container({ cpus: undefined, cpuQuota: 50_000 }), service()]));
  });
  it("reports a container without a CPU limit", async () => {
    expectViolations(await runPolicy(cpuLimit, container({ cpus: undefined })), ["has no CPU limit", "Set cpus"]);
  });
  it("can't decide while cpus is unknown", async () => {
    expectUndecided(await runPolicy(cpuLimit, container({ cpus: UNKNOWN_STRING })), "cpus");
  });
});
