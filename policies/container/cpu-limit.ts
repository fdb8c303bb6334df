import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { cpus } from "../lib/workload";

export const cpuLimit = workloadPolicy<{ exceptions: Exception[] }>({
  name: "cpu-limit",
  description: "Containers have a CPU limit.",
  severity: "low",
  framework: cis("5.12", "CPUs Not Limited"),
  remediationSteps: "Set cpus for the service (a number of CPUs, e.g. 0.5).",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const c = read("cpus", () => cpus(workload));
    if (c !== UNKNOWN && !(c !== undefined && c > 0))
      violation(`${subject} has no CPU limit, so a busy loop takes every core. Set cpus for it (e.g. 0.5).`);
  },
});
