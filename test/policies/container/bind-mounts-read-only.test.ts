import { describe, it } from "vitest";
import { bindMountsReadOnly } from "../../../policies/container/bind-mounts-read-only";
import { UNKNOWN_BOOLEAN, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations } from "../fixtures";

const bind = (readOnly: unknown) => container({ mounts: [{ type: "bind", source: "/srv/backups", target: "/backups", readOnly }] });

describe("bind-mounts-read-only", () => {
  it("passes read-only host mounts and named volumes", async () => {
    expectClean(await runPolicy(bindMountsReadOnly, [bind(true), container()]));
  });
  it("reports a writable host mount", async () => {
    expectViolations(await runPolicy(bindMountsReadOnly, bind(false)), ["mounts host path /srv/backups writable at /backups", "read-only"]);
  });
  it("allows a writable path only for the service and path config names, with a reason", async () => {
    const exceptions = [{ service: "gmail", paths: ["/srv/backups"], reason: "writes its exports there" }];
    expectClean(await runPolicy(bindMountsReadOnly, bind(false), { exceptions }));
    expectViolations(await runPolicy(bindMountsReadOnly, bind(false), { exceptions: [{ service: "rag", paths: ["/srv/backups"], reason: "another service" }] }), ["writable"]);
  });
  it("can't decide while readOnly is unknown", async () => {
    expectUndecided(await runPolicy(bindMountsReadOnly, bind(UNKNOWN_BOOLEAN)), "mounts");
  });
});
