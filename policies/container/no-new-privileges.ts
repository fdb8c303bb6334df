import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { securityOpts } from "../lib/workload";

export const noNewPrivileges = workloadPolicy<{ exceptions: Exception[] }>({
  name: "no-new-privileges",
  description: "Containers run with no-new-privileges, so setuid binaries can't raise a process's privileges.",
  severity: "high",
  framework: cis("5.26", "No New Privileges Not Set; Security Opt Not Set"),
  remediationSteps: "Add \"no-new-privileges:true\" to securityOpts (the shared container defaults do).",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject, notApplicable }) {
    if (workload.kind === "service") notApplicable("docker.Service has no securityOpts input: Swarm can't set no-new-privileges");
    const opts = read("securityOpts", () => securityOpts(workload) ?? []);
    if (opts === UNKNOWN) return;
    if (!opts.some((o) => /^no-new-privileges([:=]true)?$/i.test(o.trim())))
      violation(`${subject} does not set no-new-privileges. Add "no-new-privileges:true" to its securityOpts.`);
  },
});
