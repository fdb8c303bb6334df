// Reading the whole stack: its workloads by label, its networks and volumes.
import type { PolicyResource } from "@pulumi/policy";
import { UNKNOWN, type Reader } from "./check";
import { isUnknownValue, rawOf, unknownCheckingProxy } from "./sdk";
import { field, labels, networkAliases, serviceConfigRefs, text, uploads, workloadOf, type Props, type Workload } from "./workload";

// A resource's properties as the stack check sees them during preview. The engine hands stack policies each
// resource's planned outputs, where every field the provider computes and the program left unset is unknown
// (a container's ipcMode, a network's `internal`, a Swarm service's endpointSpec). A top-level property that
// depends on no other resource (its propertyDependencies are empty) holds nothing the program computed
// from another resource's output: its unknowns are the provider's defaults still to be read back, so they
// are read here as unset, which is what the program declared. Unknowns in properties that do depend on
// other resources (an image id, a generated password) stay unknown.
export function stackProps(r: PolicyResource): Props {
  const raw = rawOf(r.props) as Props;
  const out: Props = {};
  for (const [key, value] of Object.entries(raw)) out[key] = (r.propertyDependencies?.[key] ?? []).length ? value : unset(value);
  return unknownCheckingProxy(out);
}

function unset(v: unknown): unknown {
  if (isUnknownValue(v)) return undefined;
  if (Array.isArray(v)) return v.map(unset);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unset(x)]));
  return v;
}

// The resources a top-level property of `r` was computed from.
export const dependenciesOf = (r: PolicyResource, property: string): PolicyResource[] => r.propertyDependencies?.[property] ?? [];

export const SERVICE_CONFIG = "docker:index/serviceConfig:ServiceConfig";

export interface StackWorkload {
  resource: PolicyResource;
  workload: Workload;
  labels: Record<string, string>;
}

// Every container and Swarm service whose labels are known; unknown labels are recorded by the reader.
export function stackWorkloads(resources: PolicyResource[], read: Reader["read"]): StackWorkload[] {
  const out: StackWorkload[] = [];
  for (const resource of resources) {
    if (!workloadOf(resource.type, {})) continue;
    const workload = workloadOf(resource.type, stackProps(resource))!;
    const l = read(`labels of ${resource.name}`, () => labels(workload));
    if (l !== UNKNOWN) out.push({ resource, workload, labels: l });
  }
  return out;
}

export const byComponent = (ws: StackWorkload[], ...components: string[]) => ws.filter((w) => components.includes(w.labels.component ?? ""));

// Files a workload is given: a container's uploads, or the docker.ServiceConfig contents a Swarm service mounts.
export function workloadFiles(w: StackWorkload, resources: PolicyResource[], read: Reader["read"]): { file?: string; content?: string }[] | typeof UNKNOWN {
  if (w.workload.kind === "container") return read(`uploads of ${w.resource.name}`, () => uploads(w.workload));
  const refs = read(`configs of ${w.resource.name}`, () => serviceConfigRefs(w.workload));
  if (refs === UNKNOWN) return UNKNOWN;
  const out: { file?: string; content?: string }[] = [];
  for (const r of resources.filter((x) => x.type === SERVICE_CONFIG)) {
    const c = read(`config ${r.name}`, () => {
      const raw = text(field(r.props, "dataRaw"));
      const b64 = text(field(r.props, "data"));
      return { name: text(r.props.name), content: raw ?? (b64 !== undefined ? Buffer.from(b64, "base64").toString("utf8") : undefined) };
    });
    if (c === UNKNOWN) return UNKNOWN;
    const ref = refs.find((x) => x.name !== undefined && x.name === c.name);
    if (ref) out.push({ file: ref.file, content: c.content });
  }
  return out;
}

// The names the gateway may use for a workload: its service label, its aliases, and Swarm's tasks.<alias>.
export function reachableNames(w: StackWorkload, read: Reader["read"]): string[] {
  const aliases = read(`aliases of ${w.resource.name}`, () => networkAliases(w.workload));
  const names = [w.labels.service ?? w.resource.name, ...(aliases === UNKNOWN ? [] : aliases)];
  return [...new Set(names.flatMap((n) => [n, `tasks.${n}`]))];
}
