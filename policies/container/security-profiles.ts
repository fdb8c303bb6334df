import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { field, securityOpts, selinuxDisabled, text } from "../lib/workload";

export const securityProfiles = workloadPolicy<{ exceptions: Exception[] }>({
  name: "security-profiles-not-disabled",
  description: "Containers keep Docker's default seccomp and AppArmor profiles, SELinux confinement and masked /proc and /sys paths.",
  severity: "high",
  framework: cis("5.2, 5.3, 5.22", "Seccomp Unconfined"),
  remediationSteps: "Remove seccomp=unconfined, apparmor=unconfined, systempaths=unconfined, label=disable and label=type:spc_t from securityOpts (seLinuxContext.disable / type on a Swarm service).",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const opts = read("securityOpts", () => securityOpts(workload) ?? []);
    if (opts !== UNKNOWN)
      for (const o of opts) {
        const [key, value] = o.trim().split(/[=:]/, 2).map((s) => s.toLowerCase());
        if ((key === "seccomp" || key === "apparmor") && value === "unconfined")
          violation(`${subject} disables its ${key} profile (${o}). Remove that security option: Docker's default ${key} profile blocks the dangerous system calls.`);
        if (key === "systempaths" && value === "unconfined")
          violation(`${subject} unmasks /proc and /sys paths Docker hides (${o}), such as /proc/kcore and /sys/firmware. Remove that security option.`);
        if (key === "label" && /type[=:](spc_t|unconfined_t)/i.test(o))
          violation(`${subject} runs with SELinux type ${/spc_t/i.test(o) ? "spc_t (a super-privileged container)" : "unconfined_t"} (${o}), outside SELinux confinement. Remove that security option.`);
      }
    if (read("SELinux options", () => selinuxDisabled(workload)) === true)
      violation(`${subject} disables SELinux labelling. Remove label=disable (or seLinuxContext.disable).`);
    const type = read("SELinux type", () => (workload.kind === "service" ? text(field(workload.props, "taskSpec", "containerSpec", "privileges", "seLinuxContext", "type")) : undefined));
    if (type !== UNKNOWN && type && /^(spc_t|unconfined_t)$/.test(type))
      violation(`${subject} runs with SELinux type ${type}, outside SELinux confinement. Remove seLinuxContext.type.`);
  },
});
