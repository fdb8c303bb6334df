import { describe, it } from "vitest";
import { publishedPortsAllowlisted } from "../../../policies/container/published-ports-allowlisted";
import { UNKNOWN_NUMBER, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations } from "../fixtures";

const publishing = (external?: number) => container({ ports: [{ internal: 7474, external, ip: "127.0.0.1" }] });

describe("published-ports-allowlisted (CIS 5.9, the runbook's firewall list)", () => {
  it("passes the runbook's 8080, 8082 and 8083 by default", async () => {
    expectClean(await runPolicy(publishedPortsAllowlisted, [publishing(8080), publishing(8082), publishing(8083)]));
  });
  it("reports a port off the list, and a random host port", async () => {
    expectViolations(await runPolicy(publishedPortsAllowlisted, publishing(7474)), ["host port 7474, which is not in the allowlist (8080, 8082, 8083)", "allowedPorts"]);
    expectViolations(await runPolicy(publishedPortsAllowlisted, publishing(undefined)), ["(random)"]);
  });
  it("takes the allowlist from config (this project gives rag 8084)", async () => {
    expectClean(await runPolicy(publishedPortsAllowlisted, publishing(8084), { allowedPorts: [8080, 8082, 8083, 8084] }));
  });
  it("can't decide while the port is unknown", async () => {
    expectUndecided(await runPolicy(publishedPortsAllowlisted, publishing(UNKNOWN_NUMBER as unknown as number)), "ports");
  });
});

describe("published-ports-allowlisted: publishAllPorts", () => {
  it("reports publishing every exposed port", async () => {
    expectViolations(await runPolicy(publishedPortsAllowlisted, container({ publishAllPorts: true })), ["publishes every port its image exposes (publishAllPorts)"]);
  });
});
