import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { securityOpts, selinuxDisabled } from "../lib/workload";

export const securityProfiles = workloadPolicy<{ exceptions: Exception[] }>({
  name: "security-profiles-not-disabled",
  description: "Containers keep Docker's default seccomp and AppArmor profiles and SELinux labels.",
  severity: "high",
  framework: cis("5.2, 5.3, 5.22", "Seccomp Unconfined"),
  remediationSteps: "Remove seccomp=unconfined, apparmor=unconfined and label=disable from securityOpts.",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const opts = read("securityOpts", () => securityOpts(workload) ?? []);
    if (opts !== UNKNOWN)
      for (const o of opts) {
        const [key, value] = o.trim().split(/[=:]/, 2).map((s) => s.toLowerCase());
        if ((key === "seccomp" || key === "apparmor") && value === "unconfined")
          violation(`${subject} disables its ${key} profile (${o}). Remove that security option: Docker's default ${key} profile blocks the dangerous system calls.`);
      }
    if (read("SELinux options", () => selinuxDisabled(workload)) === true)
      violation(`${subject} disables SELinux labelling. Remove label=disable (or seLinuxContext.disable).`);
  },
});
