import { describe, expect, it } from "vitest";
import { capacityFitsHost } from "../../../policies/stack/capacity-fits-host";
import { UNKNOWN_NUMBER, runPolicy } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, service, withLabels } from "../fixtures";

const sized = (name: string, memory: unknown, memoryReservation: unknown, cpus: string) => container({ memory, memoryReservation, memorySwap: memory, cpus }, name);
const host = { hostMemoryMb: 4096, hostCpus: 2, systemReservedMb: 512 };

describe("capacity-fits-host", () => {
  it("passes a stack that fits, leaving one-shot containers out", async () => {
    const init = withLabels(sized("init", 4096, 4096, "2"), { service: "gmail", component: "volume-init" });
    expectClean(await runPolicy(capacityFitsHost, [sized("a", 1024, 512, "1"), sized("b", 2048, 1024, "1"), init], host));
  });
  it("reports reservations beyond the host's memory after the system's share", async () => {
    expectViolations(await runPolicy(capacityFitsHost, [sized("a", 2048, 2048, "1"), sized("b", 2048, 2000, "1")], host), [
      "Containers reserve 4048 MB of memory; the host has 3584 MB",
      "hostMemoryMb",
    ]);
  });
  it("reports memory limits beyond the host, and CPU quotas beyond the allowed overcommit", async () => {
    expectViolations(await runPolicy(capacityFitsHost, [sized("a", 3000, 1000, "3"), sized("b", 3000, 1000, "2")], host), ["Memory limits add up to 6000 MB"], ["CPU quotas add up to 5 CPUs, more than 2 × the host's 2"]);
  });
  it("counts a Swarm service once per replica, and a container without limits as the whole host", async () => {
    expectViolations(await runPolicy(capacityFitsHost, [service({ mode: { replicated: { replicas: 30 } } })], host), ["reserve 3840 MB"], ["Memory limits add up to 7680 MB"], ["CPU quotas add up to 15 CPUs"]);
    expectViolations(await runPolicy(capacityFitsHost, [container({ memory: undefined, memoryReservation: undefined, cpus: undefined })], host), ["reserve 4096 MB"]);
  });
  it("can't decide while a limit computed from another resource is unknown", async () => {
    expectUndecided(await runPolicy(capacityFitsHost, [computedFrom(sized("a", UNKNOWN_NUMBER, 512, "1"), { memory: ["sizing"] })], host), "memory of a");
  });
  it("reads an unknown the provider computes itself (no dependency) as unset: no limit, so the host's whole memory", async () => {
    const r = await runPolicy(capacityFitsHost, [sized("a", UNKNOWN_NUMBER, 512, "1"), sized("b", 256, 128, "0.5")], host);
    expect(r.violations.map((v) => v.message).join()).toContain("Memory limits add up to 4352 MB");
  });
});
