import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { volumesFrom } from "../lib/workload";

// volumes[].fromContainer mounts every volume of another container, its secret files and sockets included.
export const noVolumesFrom = workloadPolicy<{ exceptions: Exception[] }>({
  name: "no-volumes-from",
  description: "No container mounts another container's volumes wholesale (volumes.fromContainer).",
  severity: "medium",
  framework: cis("5.6 (what a container mounts)", "Volumes Shared Between Containers"),
  remediationSteps: "Mount the one named volume it needs (services.<name>.volumes), read-only where it only reads.",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const from = read("volumes", () => volumesFrom(workload));
    if (from === UNKNOWN) return;
    for (const c of from)
      violation(`${subject} mounts every volume of container ${c} (volumes.fromContainer), its secrets and sockets included. Mount only the named volume it needs, read-only where it only reads.`);
  },
});
