import { describe, it } from "vitest";
import { noHostDevices } from "../../../policies/container/no-host-devices";
import { UNKNOWN_ARRAY, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service } from "../fixtures";

describe("no-host-devices (CIS 5.18)", () => {
  it("passes a container and a service without devices", async () => {
    expectClean(await runPolicy(noHostDevices, [container(), service()]));
  });
  it("reports host devices", async () => {
    expectViolations(await runPolicy(noHostDevices, container({ devices: [{ hostPath: "/dev/sda" }] })), ["host devices (/dev/sda)", "Remove them"]);
  });
  it("can't decide while the device list is unknown", async () => {
    expectUndecided(await runPolicy(noHostDevices, container({ devices: UNKNOWN_ARRAY })), "devices");
  });
});

describe("no-host-devices: every way to a device", () => {
  it("reports GPUs, device requests and device cgroup rules", async () => {
    expectViolations(await runPolicy(noHostDevices, container({ gpus: "all" })), ["gpus all"]);
    expectViolations(await runPolicy(noHostDevices, container({ deviceRequests: [{ driver: "nvidia", count: -1, capabilities: [["gpu"]] }] })), ["device request nvidia"]);
    expectViolations(await runPolicy(noHostDevices, container({ deviceCgroupRules: ["c 1:3 mr"] })), ['cgroup rule "c 1:3 mr"']);
  });
});
