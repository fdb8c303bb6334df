import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, matches, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { ulimits } from "../lib/workload";

type UlimitException = Exception & { ulimits?: string[] };

// CIS 5.19: the daemon's default ulimits hold unless a service needs more (a database's open files);
// raising one (or core dumps, which write memory, secrets included, to disk) is a reviewed exception.
export const ulimitsDefault = workloadPolicy<{ exceptions: UlimitException[] }>({
  name: "ulimits-default",
  description: "Containers keep the daemon's default ulimits, unless config allows a limit for that service with the reason.",
  severity: "low",
  framework: cis("5.19"),
  remediationSteps: "Remove the ulimits override, or add an exception naming the service, the ulimits (e.g. nofile) and the reason.",
  configSchema: { exceptions: exceptionsProperty({ ulimits: { type: "array", items: { type: "string" } } }) },
  defaults: { exceptions: [] },
  exceptions: "custom",
  check({ workload, labels, read, violation, subject, config }) {
    const us = read("ulimits", () => ulimits(workload));
    if (us === UNKNOWN) return;
    const allowed = new Set(config.exceptions.filter((e) => matches(e, labels)).flatMap((e) => e.ulimits ?? []));
    for (const u of us)
      if (!allowed.has(u.name ?? ""))
        violation(`${subject} overrides ulimit ${u.name ?? "?"} (soft ${u.soft ?? "?"}, hard ${u.hard ?? "?"}). Keep the daemon's default, or add an exception for this service and ulimit with the reason.`);
  },
});
