import { describe, it } from "vitest";
import { noJoinedNamespaces } from "../../../policies/container/no-joined-namespaces";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, service, withLabels } from "../fixtures";

describe("no-joined-namespaces (CIS 5.10, 5.16, 5.17 for another container's namespaces)", () => {
  it("passes the platform's container, a service, and the host's own modes (no-host-namespaces judges those)", async () => {
    expectClean(await runPolicy(noJoinedNamespaces, [container(), service(), container({ networkMode: "bridge", ipcMode: "private", pidMode: "" })]));
  });
  it("reports each namespace joined from another container", async () => {
    const r = await runPolicy(noJoinedNamespaces, container({ networkMode: "container:neo4j", pidMode: "container:gateway-1", ipcMode: "container:neo4j" }));
    expectViolations(r, ["joins the network namespace of neo4j", "Remove networkMode"], ["PID namespace of gateway-1"], ["IPC namespace of neo4j"]);
  });
  it("can't decide while a mode computed from another resource is unknown; reads the provider's own default as unset", async () => {
    expectUndecided(await runPolicy(noJoinedNamespaces, computedFrom(container({ networkMode: UNKNOWN_STRING }), { networkMode: ["sidecar"] })), "namespace modes");
  });
  it("honours an exception with a reason", async () => {
    const c = withLabels(container({ pidMode: "container:app" }), { service: "debugger", component: "tooling" });
    expectClean(await runPolicy(noJoinedNamespaces, c, { exceptions: [{ service: "debugger", reason: "a profiler attached for one incident, removed after (INC-7)" }] }));
  });
});
