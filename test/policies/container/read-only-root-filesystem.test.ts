import { describe, it } from "vitest";
import { readOnlyRootFilesystem } from "../../../policies/container/read-only-root-filesystem";
import { UNKNOWN_BOOLEAN, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service, withLabels } from "../fixtures";

const neo4j = withLabels(container({ readOnly: false }, "neo4j"), { service: "neo4j", component: "neo4j" });

describe("read-only-root-filesystem (CIS 5.13)", () => {
  it("passes a read-only root on a container and a service", async () => {
    expectClean(await runPolicy(readOnlyRootFilesystem, [container(), service()]));
  });
  it("reports a writable root filesystem", async () => {
    expectViolations(await runPolicy(readOnlyRootFilesystem, neo4j), ["service neo4j (neo4j) has a writable root filesystem", "Set readOnly: true"]);
    expectViolations(await runPolicy(readOnlyRootFilesystem, service({}, { readOnly: false })), ["writable root filesystem"]);
  });
  it("exempts Neo4j by a config exception with its reason, and no other service or component", async () => {
    const config = { exceptions: [{ service: "neo4j", component: "neo4j", reason: "its entrypoint rewrites conf/neo4j.conf at each start" }] };
    expectClean(await runPolicy(readOnlyRootFilesystem, neo4j, config));
    expectViolations(await runPolicy(readOnlyRootFilesystem, container({ readOnly: false }), config), ["service gmail"]);
    // Neo4j's one-shot volume-init container carries service neo4j too; the exception names the component.
    const init = withLabels(container({ readOnly: false }), { service: "neo4j", component: "volume-init" });
    expectViolations(await runPolicy(readOnlyRootFilesystem, init, config), ["service neo4j (volume-init)"]);
  });
  it("can't decide while readOnly is unknown", async () => {
    expectUndecided(await runPolicy(readOnlyRootFilesystem, container({ readOnly: UNKNOWN_BOOLEAN })), "readOnly");
  });
});
