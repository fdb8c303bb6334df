import { UNKNOWN, workloadPolicy } from "../lib/check";
import { exceptionsProperty, type Exception } from "../lib/config";
import { cis } from "../lib/meta";
import { capabilities, mounts, namespaces, networkNames, ports, restart } from "../lib/workload";

// One-shot containers (component volume-init) are exempted by config from the healthcheck, restart,
// non-root and read-only-root rules, because they run to completion as root with CAP_CHOWN and receive
// the service's files in their own root (Docker refuses uploads into a read-only root). This rule keeps
// that exemption narrow: whatever carries a one-shot component label must look like one.
export const oneShotConfined = workloadPolicy<{ components: string[]; capabilities: string[]; exceptions: Exception[] }>({
  name: "one-shot-confined",
  description: "One-shot containers and Swarm services (component volume-init) have no network, no published port, no restart, only named-volume mounts and only the capabilities config grants.",
  severity: "high",
  framework: cis("5.4, 5.10, 5.13, 5.15 (as applied to one-shot jobs)"),
  remediationSteps: "A one-shot container gets networkMode none, restart no, no ports, only named-volume mounts and at most CHOWN; anything else is a service and follows every rule.",
  configSchema: {
    components: { type: "array", items: { type: "string" } },
    capabilities: { type: "array", items: { type: "string" } },
    exceptions: exceptionsProperty(),
  },
  defaults: { components: ["volume-init"], capabilities: ["CHOWN"], exceptions: [] },
  check({ workload, labels, read, violation, subject, config }) {
    if (!config.components.includes(labels.component ?? "")) return;
    const problems: string[] = [];
    if (workload.kind === "container") {
      const net = read("networkMode", () => namespaces(workload).network);
      if (net !== UNKNOWN && net !== "none") problems.push(`networkMode is ${net ?? "unset"} (must be none)`);
    } else {
      // A Swarm service has no networkMode: it must join no network.
      const nets = read("networks", () => networkNames(workload));
      if (nets !== UNKNOWN && nets.length) problems.push(`it joins ${nets.join(", ")} (must join no network)`);
    }
    const r = read("restart", () => restart(workload));
    if (r !== UNKNOWN && r.policy !== "no") problems.push(`restart is ${r.policy} (must be no)`);
    const ps = read("ports", () => ports(workload));
    if (ps !== UNKNOWN && ps.length) problems.push("it publishes ports");
    const ms = read("mounts", () => mounts(workload));
    if (ms !== UNKNOWN && ms.some((m) => m.type !== "volume")) problems.push("it mounts something other than named volumes");
    const caps = read("capabilities", () => capabilities(workload));
    if (caps !== UNKNOWN) {
      if (!caps.drops.map((c) => c.toUpperCase()).includes("ALL")) problems.push("it does not drop ALL capabilities");
      const extra = caps.adds.filter((c) => !config.capabilities.includes(c.toUpperCase().replace(/^CAP_/, "")));
      if (extra.length) problems.push(`it adds ${extra.join(", ")}`);
    }
    if (problems.length)
      violation(`${subject} is labelled one-shot (component ${labels.component}) but ${problems.join("; ")}. Confine it, or give it its real component so every rule applies.`);
  },
});
