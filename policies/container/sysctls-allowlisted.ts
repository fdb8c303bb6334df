import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { sysctls } from "../lib/workload";

// Kernel parameters a container sets. Namespaced ones apply to the container alone, but only a known-safe
// set (Kubernetes' "safe sysctls") leaves the host and its neighbours untouched; the rest change shared
// kernel state or widen what the container may do.
export const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
];

export const sysctlsAllowlisted = workloadPolicy<{ allowed: string[]; exceptions: Exception[] }>({
  name: "sysctls-allowlisted",
  description: "Containers set only safe, namespaced kernel parameters (sysctls).",
  severity: "medium",
  framework: cis("5.4, 5.10 (kernel parameters as privileges)"),
  remediationSteps: "Remove the sysctl, or add it to allowed in the policy config with the reason it is safe for the host.",
  configSchema: {
    allowed: { type: "array", items: { type: "string" }, description: "Sysctls any workload may set (default: Kubernetes' safe set)." },
    exceptions: exceptionsProperty(),
  },
  defaults: { allowed: SAFE_SYSCTLS, exceptions: [] },
  check({ workload, read, violation, subject, config }) {
    const s = read("sysctls", () => sysctls(workload));
    if (s === UNKNOWN) return;
    for (const key of Object.keys(s))
      if (!config.allowed.includes(key))
        violation(`${subject} sets kernel parameter ${key}, which is not among the safe ones allowed (${config.allowed.length} in policy config). Remove it, or allow it in the policy config with the reason.`);
  },
});
