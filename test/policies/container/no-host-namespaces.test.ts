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

describe("no-host-namespaces: every way to the host's namespaces", () => {
  it("reports the host cgroup namespace, and a container or Swarm service attached to the network named host", async () => {
    expectViolations(await runPolicy(noHostNamespaces, container({ cgroupnsMode: "host" })), ["host's cgroup namespace (cgroupnsMode: host)"]);
    expectViolations(await runPolicy(noHostNamespaces, container({ networksAdvanced: [{ name: "host" }] })), ["host's network namespace"]);
    const s = service({ taskSpec: { ...(service().props.taskSpec as object), networksAdvanceds: [{ name: "host" }] } });
    expectViolations(await runPolicy(noHostNamespaces, s), ["host's network namespace (it joins the network named host)", "overlay networks"]);
  });

  it("decides a Swarm service attached by a network ID unknown in a preview: a network the deployment creates is never the host's", async () => {
    const s = service({ taskSpec: { ...(service().props.taskSpec as object), networksAdvanceds: [{ id: UNKNOWN_STRING }] } });
    expectClean(await runPolicy(noHostNamespaces, s));
  });
});
