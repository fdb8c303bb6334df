import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { mounts } from "../lib/workload";

export const mountPropagationNotShared = workloadPolicy<{ exceptions: Exception[] }>({
  name: "mount-propagation-not-shared",
  description: "No mount uses shared propagation (a container's mounts must not appear on the host).",
  severity: "high",
  framework: cis("5.20", "volume propagation shared"),
  remediationSteps: "Remove bindOptions.propagation, or use private / rprivate.",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const ms = read("mounts", () => mounts(workload));
    if (ms === UNKNOWN) return;
    for (const m of ms)
      if (m.propagation && /^r?shared$/i.test(m.propagation))
        violation(`${subject} mounts ${m.source ?? m.target ?? "?"} with ${m.propagation} propagation. Remove the propagation option (rprivate is Docker's default).`);
  },
});
