import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { namespaces } from "../lib/workload";

export const noHostNamespaces = workloadPolicy<{ exceptions: Exception[] }>({
  name: "no-host-namespaces",
  description: "Containers share none of the host's network, PID, IPC, user or cgroup namespaces (a Swarm task none of its network).",
  severity: "high",
  framework: cis("5.10, 5.16, 5.17, 5.31", "Host Network; Host PID; Host IPC; Host User Namespace"),
  remediationSteps: "Remove networkMode/pidMode/ipcMode/usernsMode/cgroupnsMode \"host\" (and a Swarm service's network named host); attach the platform's networks instead.",
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
      ["cgroup", ns.cgroup, "cgroupnsMode"],
    ] as const)
      if (mode?.toLowerCase() === "host")
        violation(`${subject} shares the host's ${kind} namespace (${workload.kind === "service" ? "it joins the network named host" : `${input}: host`}). ${workload.kind === "service" ? "Attach it to the platform's overlay networks instead" : `Remove ${input}`}.`);
  },
});
