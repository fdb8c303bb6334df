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
    // With networksAdvanced the docker provider disconnects the container from the default bridge after
    // creating it (whatever networkMode says, and its state then reads "default"), so only a container
    // without them stays there.
    if (nets.length === 0)
      violation(`${subject} declares no network${m ? ` (networkMode ${mode})` : ""}, so it sits on Docker's default bridge, where every container reaches every other. Attach it to the platform's frontend or backend network (networksAdvanced), or networkMode none for a one-shot job.`);
  },
});
