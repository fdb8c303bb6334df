import { describe, it } from "vitest";
import { noHostNamespaces } from "../../../policies/container/no-host-namespaces";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("no-host-namespaces (CIS 5.10, 5.16, 5.17, 5.31)", () => {
  it("passes the platform's container and a service", async () => {
    expectClean(await runPolicy(noHostNamespaces, [container(), service()]));
  });
  it("reports each host namespace shared", async () => {
    const r = await runPolicy(noHostNamespaces, container({ networkMode: "host", pidMode: "host", ipcMode: "host", usernsMode: "host" }));
    expectViolations(r, ["host's network namespace", "Remove networkMode"], ["host's PID namespace"], ["host's IPC namespace"], ["host's user namespace"]);
  });
  it("can't decide while a mode is unknown", async () => {
    expectUndecided(await runPolicy(noHostNamespaces, container({ pidMode: UNKNOWN_STRING })), "namespace modes");
  });
});
