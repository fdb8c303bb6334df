// Reading the whole stack: its workloads by label, its networks and volumes.
import type { PolicyResource } from "@pulumi/policy";
import { UNKNOWN, type Reader } from "./check";
import { isUnknownValue, rawOf, unknownCheckingProxy } from "./sdk";
import { field, labels, list, networkAliases, serviceConfigRefs, text, workloadOf, type Props, type Workload } from "./workload";

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

// Files a workload is given: on one host, what its init container (component volume-init, same service)
// copies into the volumes it mounts read-only, plus any uploads of its own; on a Swarm, the
// docker.ServiceConfig contents a service mounts. `wanted` (by file name) limits what is read: during a
// preview a file computed from another resource (a TLS key, a map of API-key digests) is unknown, and
// only the files a rule reads should leave it undecided.
export function workloadFiles(
  w: StackWorkload,
  resources: PolicyResource[],
  read: Reader["read"],
  wanted: (file: string) => boolean = () => true,
): { file?: string; content?: string }[] | typeof UNKNOWN {
  const contentOf = (owner: string, u: unknown, name: string | undefined) =>
    name !== undefined && !wanted(name) ? undefined : read(`uploads of ${owner}`, () => text(field(u, "content")));
  if (w.workload.kind === "container") {
    const out: { file?: string; content?: string }[] = [];
    const own = read(`uploads of ${w.resource.name}`, () => list(w.workload.props.uploads).map((u) => ({ u, file: text(field(u, "file")) })));
    if (own === UNKNOWN) return UNKNOWN;
    for (const { u, file } of own) {
      const content = contentOf(w.resource.name, u, file);
      if (content === UNKNOWN) return UNKNOWN;
      out.push({ file, content });
    }
    for (const r of resources) {
      const init = workloadOf(r.type, r.props);
      if (!init || init.kind !== "container") continue;
      const l = read(`labels of ${r.name}`, () => labels(init));
      if (l === UNKNOWN || l.component !== "volume-init" || l.service !== w.labels.service) continue;
      const staged = read(`uploads of ${r.name}`, () => list(init.props.uploads).map((u) => ({ u, file: text(field(u, "file")) })));
      if (staged === UNKNOWN) return UNKNOWN;
      // Staged at /mcp-platform/files/<volume>/<name>; the directory it lands in is the service's mount of that volume.
      for (const { u, file } of staged) {
        const m = /^\/mcp-platform\/files\/\d+\/(.+)$/.exec(file ?? "");
        if (!m) continue;
        const content = contentOf(r.name, u, m[1]);
        if (content === UNKNOWN) return UNKNOWN;
        out.push({ file: m[1], content });
      }
    }
    return out;
  }
  const refs = read(`configs of ${w.resource.name}`, () => serviceConfigRefs(w.workload));
  if (refs === UNKNOWN) return UNKNOWN;
  const out: { file?: string; content?: string }[] = [];
  for (const r of resources.filter((x) => x.type === SERVICE_CONFIG)) {
    const name = read(`config ${r.name}`, () => text(r.props.name));
    if (name === UNKNOWN) return UNKNOWN;
    const ref = refs.find((x) => x.name !== undefined && x.name === name);
    if (!ref) continue;
    if (ref.file !== undefined && !wanted(ref.file.slice(ref.file.lastIndexOf("/") + 1)) && !wanted(ref.file)) {
      out.push({ file: ref.file });
      continue;
    }
    const content = read(`config ${r.name}`, () => {
      const raw = text(field(r.props, "dataRaw"));
      const b64 = text(field(r.props, "data"));
      return raw ?? (b64 !== undefined ? Buffer.from(b64, "base64").toString("utf8") : undefined);
    });
    if (content === UNKNOWN) return UNKNOWN;
    out.push({ file: ref.file, content });
  }
  return out;
}

// The gateway rules read its HAProxy configuration only (not its TLS key or API-key digests).
export const isHaproxyConfig = (file: string) => file === "haproxy.cfg" || file.endsWith("/haproxy.cfg");

// The names the gateway may use for a workload: its service label, its aliases, and Swarm's tasks.<alias>.
export function reachableNames(w: StackWorkload, read: Reader["read"]): string[] {
  const aliases = read(`aliases of ${w.resource.name}`, () => networkAliases(w.workload));
  const names = [w.labels.service ?? w.resource.name, ...(aliases === UNKNOWN ? [] : aliases)];
  return [...new Set(names.flatMap((n) => [n, `tasks.${n}`]))];
}
