import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { ports } from "../lib/workload";

export const noPrivilegedHostPorts = workloadPolicy<{ exceptions: Exception[] }>({
  name: "no-privileged-host-ports",
  description: "No host port below 1024 is published.",
  severity: "medium",
  framework: cis("5.8", "Privileged Ports Mapped In Container"),
  remediationSteps: "Publish on a host port of 1024 or more (publishedPort).",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const ps = read("ports", () => ports(workload));
    if (ps === UNKNOWN) return;
    for (const p of ps)
      if (p.external !== undefined && p.external < 1024)
        violation(`${subject} publishes privileged host port ${p.external}. Publish it on a port of 1024 or above (e.g. ${p.external + 8000}).`);
  },
});
