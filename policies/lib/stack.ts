// Reading the whole stack: its workloads by label, its networks and volumes.
import type { PolicyResource } from "@pulumi/policy";
import { UNKNOWN, type Reader } from "./check";
import { field, labels, networkAliases, serviceConfigRefs, text, uploads, workloadOf, type Workload } from "./workload";

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
    const workload = workloadOf(resource.type, resource.props);
    if (!workload) continue;
    const l = read(`labels of ${resource.name}`, () => labels(workload));
    if (l !== UNKNOWN) out.push({ resource, workload, labels: l });
  }
  return out;
}

export const byComponent = (ws: StackWorkload[], ...components: string[]) => ws.filter((w) => components.includes(w.labels.component ?? ""));

// Files a workload is given: on one host, what its init container (component volume-init, same service)
// copies into the volumes it mounts read-only, plus any uploads of its own; on a Swarm, the
// docker.ServiceConfig contents a service mounts.
export function workloadFiles(w: StackWorkload, resources: PolicyResource[], read: Reader["read"]): { file?: string; content?: string }[] | typeof UNKNOWN {
  if (w.workload.kind === "container") {
    const own = read(`uploads of ${w.resource.name}`, () => uploads(w.workload));
    if (own === UNKNOWN) return UNKNOWN;
    const out = [...own];
    for (const r of resources) {
      const init = workloadOf(r.type, r.props);
      if (!init || init.kind !== "container") continue;
      const l = read(`labels of ${r.name}`, () => labels(init));
      if (l === UNKNOWN || l.component !== "volume-init" || l.service !== w.labels.service) continue;
      const staged = read(`uploads of ${r.name}`, () => uploads(init));
      if (staged === UNKNOWN) return UNKNOWN;
      // Staged at /mcp-platform/files/<volume>/<name>; the directory it lands in is the service's mount of that volume.
      for (const f of staged) {
        const m = /^\/mcp-platform\/files\/\d+\/(.+)$/.exec(f.file ?? "");
        if (m) out.push({ file: m[1], content: f.content });
      }
    }
    return out;
  }
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
