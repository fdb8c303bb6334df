// The stack's Docker networks and what each workload attaches to, for the stack rules that judge
// attachments (data-on-internal-networks, networks-declared).
import type { PolicyResource } from "@pulumi/policy";
import { UNKNOWN, type Reader } from "./check";
import { stackProps } from "./stack";
import { NETWORK, networkAttachments, networkNames, text, type Workload } from "./workload";

// Each network of the stack by name and by ID: a container attaches by name, a Swarm service by ID (the
// provider's state carries it as `id`). A reference that is unknown (a preview) is recorded by the reader.
export type StackNetworks = Map<string, { resource: string; props: ReturnType<typeof stackProps> }>;

export function stackNetworks(resources: PolicyResource[], read: Reader["read"]): StackNetworks {
  const networks: StackNetworks = new Map();
  for (const r of resources.filter((x) => x.type === NETWORK)) {
    const props = stackProps(r);
    for (const key of ["name", "id"] as const) {
      const ref = read(`${key} of network ${r.name}`, () => text(props[key]));
      if (ref !== UNKNOWN && ref !== undefined) networks.set(ref, { resource: r.name, props });
    }
  }
  return networks;
}

// What a workload is attached to, by the references `networks` is keyed on. A Swarm service attaches by
// network ID, unknown in a preview until the network exists: such an ID can only come from a network its
// task spec depends on, so those networks stand in for it (all of them, when one of several is pending).
export function attachedNetworks(resource: PolicyResource, workload: Workload, networks: StackNetworks): string[] {
  const { refs, pending } = networkAttachments(workload);
  if (!pending) return refs;
  const sources = (resource.propertyDependencies?.taskSpec ?? []).filter((d) => d.type === NETWORK).map((d) => d.name);
  const byResource = [...networks.entries()].filter(([, n]) => sources.includes(n.resource)).map(([ref]) => ref);
  // Keyed by name and ID: one reference per network is enough.
  const named = [...new Map(byResource.map((ref) => [networks.get(ref)!.resource, ref])).values()];
  // None to stand in: read the references themselves, which throws the engine's "unknown" (can't decide).
  if (!named.length) return networkNames(workload);
  return [...refs, ...named];
}
