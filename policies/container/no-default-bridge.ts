import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { namespaces, networkNames } from "../lib/workload";

export const noDefaultBridge = workloadPolicy<{ exceptions: Exception[] }>({
  name: "no-default-bridge",
  description: "Containers join the platform's own networks, never Docker's default bridge.",
  severity: "medium",
  framework: cis("5.30", "Networks Not Set"),
  remediationSteps: "Attach the container to the platform's frontend or backend network (networksAdvanced), or networkMode none for a one-shot job.",
  configSchema: { exceptions: exceptionsProperty() },
  defaults: { exceptions: [] },
  check({ workload, read, violation, subject }) {
    if (workload.kind === "service") return; // Swarm services attach to overlay networks, never docker0.
    const mode = read("networkMode", () => namespaces(workload).network);
    const nets = read("networksAdvanced", () => networkNames(workload));
    if (mode === UNKNOWN || nets === UNKNOWN) return;
    const m = (mode ?? "").toLowerCase();
    if (m === "none" || m === "host" || m.startsWith("container:")) return; // host mode is no-host-namespaces' to report
    if (m === "bridge" || m === "default") violation(`${subject} is on Docker's default bridge (networkMode ${mode}), where every container reaches every other. Remove networkMode and attach the platform's networks.`);
    else if (!m && nets.length === 0)
      violation(`${subject} declares no network, so Docker puts it on the default bridge. Attach it to the platform's frontend or backend network.`);
  },
});
