import { describe, it } from "vitest";
import { noDefaultBridge } from "../../../policies/container/no-default-bridge";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("no-default-bridge (CIS 5.30)", () => {
  it("passes the platform's networks, networkMode none, and a service", async () => {
    expectClean(await runPolicy(noDefaultBridge, [container(), container({ networksAdvanced: [], networkMode: "none" }), service()]));
  });
  it("reports networkMode bridge, and a container with no network at all", async () => {
    expectViolations(await runPolicy(noDefaultBridge, container({ networkMode: "bridge" })), ["default bridge (networkMode bridge)"]);
    expectViolations(await runPolicy(noDefaultBridge, container({ networksAdvanced: [] })), ["declares no network", "frontend or backend"]);
  });
  it("can't decide while a network name is unknown", async () => {
    expectUndecided(await runPolicy(noDefaultBridge, container({ networksAdvanced: [{ name: UNKNOWN_STRING }] })), "networksAdvanced");
  });
});
