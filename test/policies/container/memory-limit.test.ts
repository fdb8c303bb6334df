import { describe, it } from "vitest";
import { memoryLimit } from "../../../policies/container/memory-limit";
import { UNKNOWN_NUMBER, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("memory-limit (CIS 5.11)", () => {
  it("passes a memory limit on a container and a service", async () => {
    expectClean(await runPolicy(memoryLimit, [container(), service()]));
  });
  it("reports a container or service without one", async () => {
    expectViolations(await runPolicy(memoryLimit, container({ memory: undefined })), ["has no memory limit", "Set memoryMb"]);
    expectViolations(await runPolicy(memoryLimit, service({ taskSpec: { containerSpec: { image: "x:1" } } })), ["has no memory limit"]);
  });
  it("can't decide while memory is unknown", async () => {
    expectUndecided(await runPolicy(memoryLimit, container({ memory: UNKNOWN_NUMBER })), "memory");
  });
});

describe("memory-limit: swap", () => {
  it("reports unlimited swap beyond the limit", async () => {
    expectViolations(await runPolicy(memoryLimit, container({ memorySwap: -1 })), ["memorySwap -1"]);
  });
});
