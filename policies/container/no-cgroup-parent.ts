import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { cgroupParent } from "../lib/workload";

export const noCgroupParent = workloadPolicy<{ exceptions: Exception[] }>({
  name: "no-cgroup-parent",
  description: "Containers stay in Docker's default cgroup (no cgroupParent).",
  severity: "medium",
  framework: cis("5.25", "Cgroup Not Default"),
  remediationSteps: "Remove cgroupParent; limits are set per container (memory, cpus).",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const c = read("cgroupParent", () => cgroupParent(workload));
    if (c !== UNKNOWN && c) violation(`${subject} sets cgroupParent ${c}, escaping the limits Docker applies. Remove it.`);
  },
});
