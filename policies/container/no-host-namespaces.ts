import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { namespaces } from "../lib/workload";

export const noHostNamespaces = workloadPolicy<{ exceptions: Exception[] }>({
  name: "no-host-namespaces",
  description: "Containers share none of the host's network, PID, IPC or user namespaces.",
  severity: "high",
  framework: cis("5.10, 5.16, 5.17, 5.31", "Host Network; Host PID; Host IPC; Host User Namespace"),
  remediationSteps: "Remove networkMode/pidMode/ipcMode/usernsMode \"host\"; attach the platform's networks instead.",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const ns = read("namespace modes", () => namespaces(workload));
    if (ns === UNKNOWN) return;
    for (const [kind, mode, input] of [
      ["network", ns.network, "networkMode"],
      ["PID", ns.pid, "pidMode"],
      ["IPC", ns.ipc, "ipcMode"],
      ["user", ns.userns, "usernsMode"],
    ] as const)
      if (mode?.toLowerCase() === "host") violation(`${subject} shares the host's ${kind} namespace (${input}: host). Remove ${input}.`);
  },
});
