import { describe, it } from "vitest";
import { nonRootUser } from "../../../policies/container/non-root-user";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service, withLabels } from "../fixtures";

describe("non-root-user (CIS 4.1)", () => {
  it("passes a non-root uid:gid, on a container and a service", async () => {
    expectClean(await runPolicy(nonRootUser, [container(), container({ user: "neo4j" }), service()]));
  });
  it("reports root, uid 0 and a user left to the image", async () => {
    expectViolations(await runPolicy(nonRootUser, container({ user: "root" })), ["runs as root", "1000:1000"]);
    expectViolations(await runPolicy(nonRootUser, container({ user: "0:0" })), ["runs as root (user 0:0)"]);
    expectViolations(await runPolicy(nonRootUser, container({ user: undefined })), ["sets no user"]);
    expectViolations(await runPolicy(nonRootUser, service({}, { user: undefined })), ["sets no user"]);
  });
  it("exempts one-shot volume-init containers by component, with the reason", async () => {
    const init = withLabels(container({ user: "0:0" }), { service: "gmail", component: "volume-init" });
    expectClean(await runPolicy(nonRootUser, init, { exceptions: [{ component: "volume-init", reason: "chown of a root-owned mount point needs root" }] }));
  });
  it("can't decide while the user is unknown", async () => {
    expectUndecided(await runPolicy(nonRootUser, container({ user: UNKNOWN_STRING })), "user");
  });
});

describe("non-root-user: the root group", () => {
  it("reports gid 0 and supplementary group 0 or root, on a container and a service", async () => {
    expectViolations(await runPolicy(nonRootUser, container({ user: "1000:0" })), ["root group (gid 0)"]);
    expectViolations(await runPolicy(nonRootUser, container({ groupAdds: ["root"] })), ["supplementary group root"]);
    expectViolations(await runPolicy(nonRootUser, service({}, { groups: ["0"] })), ["supplementary group 0"]);
    expectClean(await runPolicy(nonRootUser, container({ groupAdds: ["1001"] })));
  });
});
