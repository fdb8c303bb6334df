import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { memoryMb, num } from "../lib/workload";

export const memoryLimit = workloadPolicy<{ exceptions: Exception[] }>({
  name: "memory-limit",
  description: "Containers have a memory limit, and no unlimited swap beyond it.",
  severity: "medium",
  framework: cis("5.11", "Memory Not Limited"),
  remediationSteps: "Set memoryMb for the service; the shared defaults turn it into memory, memorySwap and a reservation.",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const m = read("memory", () => memoryMb(workload));
    if (m !== UNKNOWN && !(m !== undefined && m > 0))
      violation(`${subject} has no memory limit: one leak can starve the whole host. Set memoryMb (memory) for it.`);
    if (workload.kind === "container" && read("memorySwap", () => num(workload.props.memorySwap)) === -1)
      violation(`${subject} may swap without limit (memorySwap -1), so its memory limit no longer bounds what it takes from the host. Set memorySwap equal to memory (the shared defaults do).`);
  },
});
