import { UNKNOWN, stackPolicy } from "../lib/check";
import { runbook } from "../lib/meta";
import { stackWorkloads } from "../lib/stack";
import { cpuReservation, memoryMb, memoryReservationMb, replicas } from "../lib/workload";

interface Config {
  // The host the stack runs on.
  hostMemoryMb: number;
  hostCpus: number;
  // Memory kept for the OS and the Docker daemon.
  systemReservedMb: number;
  // How far memory limits may exceed the host's memory (1 = not at all: no swap, so overcommit means OOM kills).
  memoryOvercommit: number;
  // Docker containers have no CPU reservation: their CPU quotas may add up to this many times the host's CPUs.
  cpuOvercommit: number;
  // Components that run to completion before the services start, so take no lasting share.
  oneShotComponents: string[];
}

export const capacityFitsHost = stackPolicy<Config>({
  name: "capacity-fits-host",
  description: "The memory reserved by all containers, their memory limits and their CPU quotas fit the declared host.",
  severity: "medium",
  framework: runbook("Vertical Scaling: resource allocation (limits, reservations)"),
  remediationSteps: "Lower memoryMb / memoryReservationMb / cpus or replicas, or declare the real host's size (hostMemoryMb, hostCpus) in the policy config.",
  configSchema: {
    hostMemoryMb: { type: "integer", minimum: 256 },
    hostCpus: { type: "number", exclusiveMinimum: 0 },
    systemReservedMb: { type: "integer", minimum: 0 },
    memoryOvercommit: { type: "number", minimum: 1 },
    cpuOvercommit: { type: "number", minimum: 1 },
    oneShotComponents: { type: "array", items: { type: "string" } },
  },
  defaults: { hostMemoryMb: 8192, hostCpus: 4, systemReservedMb: 1024, memoryOvercommit: 1, cpuOvercommit: 2, oneShotComponents: ["volume-init"] },
  check(args, { config, read, report }) {
    let reserved = 0;
    let limits = 0;
    let cpu = 0;
    for (const w of stackWorkloads(args.resources, read)) {
      if (config.oneShotComponents.includes(w.labels.component ?? "")) continue;
      const n = read(`replicas of ${w.resource.name}`, () => replicas(w.workload));
      const limit = read(`memory of ${w.resource.name}`, () => memoryMb(w.workload));
      const reservation = read(`memoryReservation of ${w.resource.name}`, () => memoryReservationMb(w.workload));
      const c = read(`cpus of ${w.resource.name}`, () => cpuReservation(w.workload));
      if (n === UNKNOWN || limit === UNKNOWN || reservation === UNKNOWN || c === UNKNOWN) continue;
      // A container without a reservation may take its whole limit; without a limit, it counts the host.
      limits += n * (limit ?? config.hostMemoryMb);
      reserved += n * (reservation ?? limit ?? config.hostMemoryMb);
      cpu += n * (c ?? config.hostCpus);
    }
    const usable = config.hostMemoryMb - config.systemReservedMb;
    if (reserved > usable)
      report(`Containers reserve ${Math.round(reserved)} MB of memory; the host has ${usable} MB after ${config.systemReservedMb} MB for the system. Lower reservations or replicas, or declare a larger host (hostMemoryMb).`);
    if (limits > config.hostMemoryMb * config.memoryOvercommit)
      report(`Memory limits add up to ${Math.round(limits)} MB, more than the host's ${config.hostMemoryMb} MB${config.memoryOvercommit > 1 ? ` × ${config.memoryOvercommit}` : ""}: under load the kernel kills containers. Lower memoryMb or replicas, or declare a larger host.`);
    if (cpu > config.hostCpus * config.cpuOvercommit)
      report(`CPU quotas add up to ${cpu} CPUs, more than ${config.cpuOvercommit} × the host's ${config.hostCpus}. Lower cpus or replicas, or declare a larger host (hostCpus).`);
  },
});
