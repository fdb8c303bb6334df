import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { namespaces } from "../lib/workload";

// `container:<name>` joins another container's namespace: its network (and so its published ports and
// loopback services), its processes, or its shared memory. Nothing the platform runs needs it.
export const noJoinedNamespaces = workloadPolicy<{ exceptions: Exception[] }>({
  name: "no-joined-namespaces",
  description: "Containers join no other container's network, PID or IPC namespace (container:<name>).",
  severity: "high",
  framework: cis("5.10, 5.16, 5.17 (as applied to another container's namespaces)"),
  remediationSteps: "Remove networkMode/pidMode/ipcMode \"container:<name>\"; reach the other container over the platform's network by its alias.",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    const ns = read("namespace modes", () => namespaces(workload));
    if (ns === UNKNOWN) return;
    for (const [kind, mode, input] of [
      ["network", ns.network, "networkMode"],
      ["PID", ns.pid, "pidMode"],
      ["IPC", ns.ipc, "ipcMode"],
    ] as const)
      if (mode?.toLowerCase().startsWith("container:"))
        violation(`${subject} joins the ${kind} namespace of ${mode.slice("container:".length)} (${input}: ${mode}), seeing what that container sees. Remove ${input}; reach it over the platform's network by its alias.`);
  },
});
