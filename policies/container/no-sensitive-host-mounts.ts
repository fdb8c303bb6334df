import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { mounts } from "../lib/workload";

export const SENSITIVE_HOST_DIRS = ["/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr"];

export function sensitiveDir(path: string): string | undefined {
  const p = path.replace(/\/+$/, "") || "/";
  if (p === "/") return "/";
  return SENSITIVE_HOST_DIRS.find((d) => d !== "/" && (p === d || p.startsWith(`${d}/`)));
}

export const noSensitiveHostMounts = workloadPolicy<{ exceptions: Exception[] }>({
  name: "no-sensitive-host-mounts",
  description: "No sensitive host directory (/ /boot /dev /etc /lib /proc /sys /usr) is mounted.",
  severity: "critical",
  framework: cis("5.6", "Volume Has Sensitive Host Directory"),
  remediationSteps: "Remove the host mount; give the service a named volume, or the file it needs as an upload or a secret.",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const ms = read("mounts", () => mounts(workload));
    if (ms === UNKNOWN) return;
    for (const m of ms) {
      const dir = m.type === "bind" && m.source ? sensitiveDir(m.source) : undefined;
      if (dir) violation(`${subject} mounts host path ${m.source} (under ${dir}). Remove it; use a named volume or upload the one file it needs.`);
    }
  },
});
