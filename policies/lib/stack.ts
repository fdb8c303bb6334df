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
