import { UNKNOWN, stackPolicy } from "../lib/check";
import { cis } from "../lib/meta";
import { attachedNetworks, stackNetworks } from "../lib/networks";
import { stackWorkloads } from "../lib/stack";
import { text } from "../lib/workload";

// networkMode values other rules judge: the default bridge (no-default-bridge), none, the host's network
// (no-host-namespaces) and another container's (no-joined-namespaces). Any other value names a network.
const MODES = new Set(["", "default", "bridge", "none", "host"]);

// Docker accepts a network by name or by ID, so a rule that knows the host network or the default bridge
// by name alone misses them by ID (only the engine knows that ID). Judging every attachment against the
// networks this stack declares closes that, and keeps out networks from outside the stack.
export const networksDeclared = stackPolicy<{ allowed: string[] }>({
  name: "networks-declared",
  description: "Containers and Swarm services join only networks this stack declares: not Docker's default bridge or the host network by name or ID, nor a network from outside the stack.",
  severity: "high",
  framework: cis("5.10, 5.30", "Host Network; Networks Not Set"),
  remediationSteps: "Attach the workload to the platform's networks (frontend, backend); a network the stack must share with something outside it goes in this rule's `allowed`, with the reason.",
  configSchema: { allowed: { type: "array", items: { type: "string" } } },
  defaults: { allowed: [] },
  check(args, { config, read, report }) {
    const networks = stackNetworks(args.resources, read);
    const declared = (ref: string) => networks.has(ref) || config.allowed.includes(ref);
    for (const w of stackWorkloads(args.resources, read)) {
      const who = `${w.labels.component ?? "workload"} ${w.labels.service ?? w.resource.name}`;
      const refs: string[] = [];
      const nets = read(`networks of ${w.resource.name}`, () => attachedNetworks(w.resource, w.workload, networks));
      if (nets !== UNKNOWN) refs.push(...nets);
      if (w.workload.kind === "container") {
        const mode = read(`networkMode of ${w.resource.name}`, () => text(w.workload.props.networkMode) ?? "");
        if (mode !== UNKNOWN && !MODES.has(mode.toLowerCase()) && !mode.toLowerCase().startsWith("container:")) refs.push(mode);
      }
      for (const ref of new Set(refs.filter((r) => !declared(r))))
        report(`${who} joins network ${ref}, which this stack does not declare (${whatItMayBe(ref)}). Attach it to the platform's networks, or add ${ref} to networks-declared's allowed list with the reason.`, w.resource.urn);
    }
  },
});

function whatItMayBe(ref: string): string {
  if (ref === "bridge") return "Docker's default bridge, where every container reaches every other";
  if (ref === "host") return "the host's own network";
  return "a network from outside the stack, or the host's network or the default bridge by ID";
}
