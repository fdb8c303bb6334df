import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, matches, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { capabilities } from "../lib/workload";

type CapabilityException = Exception & { capabilities?: string[] };
const norm = (c: string) => c.toUpperCase().replace(/^CAP_/, "");

export const capabilitiesRestricted = workloadPolicy<{ allowed: string[]; exceptions: CapabilityException[] }>({
  name: "capabilities-restricted",
  description: "Containers drop every Linux capability (ALL) and add back only allowlisted ones.",
  severity: "high",
  framework: cis("5.4", "Capabilities Unrestricted"),
  remediationSteps:
    "Set capabilities.drops to [\"ALL\"]. A service that needs a capability gets a policy-config exception naming the service, the capability and the reason.",
  configSchema: {
    allowed: { type: "array", items: { type: "string" }, description: "Capabilities any workload may add (default none)." },
    exceptions: exceptionsProperty({ capabilities: { type: "array", items: { type: "string" } } }),
  },
  defaults: { allowed: [], exceptions: [] },
  exceptions: "custom",
  check({ workload, labels, read, violation, subject, config }) {
    const caps = read("capabilities", () => capabilities(workload));
    if (caps === UNKNOWN) return;
    if (!caps.drops.map(norm).includes("ALL"))
      violation(`${subject} keeps Docker's default capabilities. Drop them all (capabilities.drops: ["ALL"]) and add back only what it needs.`);
    const granted = new Set([
      ...config.allowed.map(norm),
      ...config.exceptions.filter((e) => matches(e, labels)).flatMap((e) => (e.capabilities ?? []).map(norm)),
    ]);
    const extra = caps.adds.map(norm).filter((c) => !granted.has(c));
    if (extra.length)
      violation(
        `${subject} adds ${extra.join(", ")}, which no policy config grants it. Remove it, or add an exception to capabilities-restricted naming this service, the capability and why it needs it.`,
      );
  },
});
