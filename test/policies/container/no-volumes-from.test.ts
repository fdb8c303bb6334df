import { describe, it } from "vitest";
import { noVolumesFrom } from "../../../policies/container/no-volumes-from";
import { UNKNOWN_ARRAY, runPolicy } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("no-volumes-from (KICS: Volumes Shared Between Containers)", () => {
  it("passes named volumes and host paths (the host-mount rules judge those), and a service", async () => {
    expectClean(await runPolicy(noVolumesFrom, [container({ volumes: [{ volumeName: "data", containerPath: "/data" }] }), service()]));
  });
  it("reports a container mounting another's volumes wholesale", async () => {
    expectViolations(await runPolicy(noVolumesFrom, container({ volumes: [{ fromContainer: "neo4j" }] })), ["mounts every volume of container neo4j", "secrets"]);
  });
  it("can't decide while the volume list is computed and unknown", async () => {
    expectUndecided(await runPolicy(noVolumesFrom, computedFrom(container({ volumes: UNKNOWN_ARRAY }), { volumes: ["other"] })), "volumes");
  });
  it("honours an exception with a reason", async () => {
    expectClean(await runPolicy(noVolumesFrom, container({ volumes: [{ fromContainer: "x" }] }), { exceptions: [{ service: "gmail", reason: "one-off migration copying x's data, removed after" }] }));
  });
});
