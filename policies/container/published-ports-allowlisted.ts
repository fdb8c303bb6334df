import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis, runbook } from "../lib/meta";
import { ports } from "../lib/workload";

export const RUNBOOK_FIREWALL_PORTS = [8080, 8082, 8083];

export const publishedPortsAllowlisted = workloadPolicy<{ allowedPorts: number[]; exceptions: Exception[] }>({
  name: "published-ports-allowlisted",
  description: "Only the allowlisted host ports (the runbook's firewall list) are published.",
  severity: "high",
  framework: { ...cis("5.9"), specification: runbook("Network Security: firewall rules").reference },
  remediationSteps: "Publish only the ports the firewall allows; a new published port is added to allowedPorts in the policy config (and so to the firewall) in review.",
  configSchema: {
    allowedPorts: { type: "array", items: { type: "integer", minimum: 1, maximum: 65535 } },
    exceptions: exceptionsProperty(),
  },
  defaults: { allowedPorts: RUNBOOK_FIREWALL_PORTS, exceptions: [] },
  check({ workload, read, violation, subject, config }) {
    const ps = read("ports", () => ports(workload));
    if (ps === UNKNOWN) return;
    for (const p of ps)
      if (p.all)
        violation(`${subject} publishes every port its image exposes (publishAllPorts), on random host ports no allowlist or firewall names. Remove publishAllPorts and publish the one port it serves.`);
      else if (p.external === undefined || !config.allowedPorts.includes(p.external))
        violation(
          `${subject} publishes host port ${p.external ?? "(random)"}, which is not in the allowlist (${config.allowedPorts.join(", ")}). Publish an allowlisted port, or add it to allowedPorts in the policy config.`,
        );
  },
});
