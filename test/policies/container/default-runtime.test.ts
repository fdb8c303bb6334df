import { describe, it } from "vitest";
import { defaultRuntime } from "../../../policies/container/default-runtime";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("default-runtime", () => {
  it("passes the daemon's default (unset or runc) and a container task", async () => {
    expectClean(await runPolicy(defaultRuntime, [container(), container({ runtime: "runc" }), service(), service({ taskSpec: { ...(service().props.taskSpec as object), runtime: "container" } })]));
  });
  it("reports another runtime, and a Swarm plugin task", async () => {
    expectViolations(await runPolicy(defaultRuntime, container({ runtime: "nvidia" })), ["runs on runtime nvidia"]);
    expectViolations(await runPolicy(defaultRuntime, service({ taskSpec: { ...(service().props.taskSpec as object), runtime: "plugin" } })), ["runs as a Swarm plugin task"]);
  });
  it("takes a sandboxing runtime from config", async () => {
    expectClean(await runPolicy(defaultRuntime, container({ runtime: "runsc" }), { allowed: ["runc", "runsc"] }));
  });
  it("can't decide while it is computed and unknown; the provider's own (unknown, no dependency) is the default", async () => {
    expectUndecided(await runPolicy(defaultRuntime, computedFrom(container({ runtime: UNKNOWN_STRING }), { runtime: ["picker"] })), "runtime");
  });
  it("honours an exception with a reason", async () => {
    expectClean(await runPolicy(defaultRuntime, container({ runtime: "nvidia" }), { exceptions: [{ service: "gmail", reason: "GPU inference host, reviewed in SEC-9" }] }));
  });
});
