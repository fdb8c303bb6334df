import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { onAllInterfaces, ports } from "../lib/workload";

interface Config {
  // Publishing on every interface is allowed only with a reason (e.g. a DOCKER-USER firewall filters sources).
  allowAllInterfaces: boolean;
  reason?: string;
  exceptions: Exception[];
}

export const portsBoundToInterface = workloadPolicy<Config>({
  name: "ports-bound-to-interface",
  description: "Published ports bind to one host interface, not 0.0.0.0, unless config allows it with a reason.",
  severity: "medium",
  framework: cis("5.14", "Container Traffic Not Bound To Host Interface"),
  remediationSteps:
    "Set publishAddress to the interface clients use (127.0.0.1 in dev). To publish on every interface, set allowAllInterfaces with the reason (the firewall that filters sources) in the policy config.",
  configSchema: {
    allowAllInterfaces: { type: "boolean" },
    reason: { type: "string", minLength: 10 },
    exceptions: exceptionsProperty(),
  },
  defaults: { allowAllInterfaces: false, exceptions: [] },
  check({ workload, read, violation, subject, config }) {
    if (config.allowAllInterfaces && config.reason?.trim()) return;
    const ps = read("ports", () => ports(workload));
    if (ps === UNKNOWN) return;
    for (const p of ps.filter(onAllInterfaces))
      violation(
        `${subject} publishes port ${p.external ?? "(random)"} on every host interface${workload.kind === "service" ? " (Swarm can't bind one)" : ""}. Bind it to one interface (publishAddress), or allow all interfaces in the policy config with the reason.`,
      );
  },
});
