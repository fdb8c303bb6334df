import { describe, it } from "vitest";
import { noDefaultBridge } from "../../../policies/container/no-default-bridge";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("no-default-bridge (CIS 5.30)", () => {
  it("passes the platform's networks, networkMode none, and a service", async () => {
    expectClean(await runPolicy(noDefaultBridge, [container(), container({ networksAdvanced: [], networkMode: "none" }), service()]));
  });
  it("passes networkMode default/bridge next to networksAdvanced: the provider disconnects the default bridge then", async () => {
    expectClean(await runPolicy(noDefaultBridge, [container({ networkMode: "default" }), container({ networkMode: "bridge" })]));
  });
  it("reports a container with no network of its own, whatever its networkMode says", async () => {
    expectViolations(await runPolicy(noDefaultBridge, container({ networksAdvanced: [] })), ["declares no network, so it sits on Docker's default bridge", "frontend or backend"]);
    expectViolations(await runPolicy(noDefaultBridge, container({ networksAdvanced: undefined, networkMode: "bridge" })), ["declares no network (networkMode bridge)"]);
  });
  it("can't decide while a network name is unknown", async () => {
    expectUndecided(await runPolicy(noDefaultBridge, container({ networksAdvanced: [{ name: UNKNOWN_STRING }] })), "networksAdvanced");
  });
});
