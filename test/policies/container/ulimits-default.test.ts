import { describe, it } from "vitest";
import { ulimitsDefault } from "../../../policies/container/ulimits-default";
import { UNKNOWN_ARRAY, runPolicy } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("ulimits-default (CIS 5.19)", () => {
  it("passes the daemon's defaults", async () => {
    expectClean(await runPolicy(ulimitsDefault, [container(), service()]));
  });
  it("reports an override", async () => {
    expectViolations(await runPolicy(ulimitsDefault, container({ ulimits: [{ name: "core", soft: -1, hard: -1 }] })), ["overrides ulimit core (soft -1, hard -1)"]);
  });
  it("allows the ulimits an exception names for that service, with a reason", async () => {
    const c = container({ ulimits: [{ name: "nofile", soft: 40000, hard: 40000 }, { name: "core", soft: -1, hard: -1 }] });
    expectViolations(await runPolicy(ulimitsDefault, c, { exceptions: [{ service: "gmail", ulimits: ["nofile"], reason: "Neo4j's documented minimum of open files" }] }), ["ulimit core"]);
  });
  it("can't decide while they are computed and unknown", async () => {
    expectUndecided(await runPolicy(ulimitsDefault, computedFrom(container({ ulimits: UNKNOWN_ARRAY }), { ulimits: ["x"] })), "ulimits");
  });
});
