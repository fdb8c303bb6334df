import { workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { privileged } from "../lib/workload";

export const noPrivileged = workloadPolicy<{ exceptions: Exception[] }>({
  name: "no-privileged",
  description: "Containers do not run privileged.",
  severity: "critical",
  framework: cis("5.5", "Privileged"),
  remediationSteps: "Remove `privileged: true`; add the one capability the service needs (capAdd) instead.",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  // docker.Service has no privileged input: a Swarm task can't be privileged.
  check({ workload, read, violation, subject }) {
    if (read("privileged", () => privileged(workload)) === true)
      violation(`${subject} runs privileged, with every capability and access to every host device. Remove privileged: true and add only the capability it needs.`);
  },
});
