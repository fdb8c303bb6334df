import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, matches, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { mounts } from "../lib/workload";

type BindException = Exception & { paths?: string[] };

export const bindMountsReadOnly = workloadPolicy<{ exceptions: BindException[] }>({
  name: "bind-mounts-read-only",
  description: "Host directories are mounted read-only, unless config allows that path for that service.",
  severity: "medium",
  framework: cis("5.6 (host mounts), 5.13 (read-only filesystems)"),
  remediationSteps: "Mount the host path read-only (readOnly: true); if the service must write there, add an exception naming the service, the path and the reason.",
  configSchema: { exceptions: exceptionsProperty({ paths: { type: "array", items: { type: "string" } } }) },
  defaults: { exceptions: [] },
  exceptions: "custom",
  check({ workload, labels, read, violation, subject, config }) {
    const ms = read("mounts", () => mounts(workload));
    if (ms === UNKNOWN) return;
    const allowed = new Set(config.exceptions.filter((e) => matches(e, labels)).flatMap((e) => e.paths ?? []));
    for (const m of ms)
      if (m.type === "bind" && !m.readOnly && !(m.source && allowed.has(m.source)))
        violation(`${subject} mounts host path ${m.source ?? "?"} writable at ${m.target ?? "?"}. Mount it read-only, or add an exception to bind-mounts-read-only for this service and path with the reason.`);
  },
});
