// Reading the whole stack: its workloads by label, its networks and volumes.
import type { PolicyResource } from "@pulumi/policy";
import { UNKNOWN, type Reader } from "./check";
import { labels, workloadOf, type Workload } from "./workload";

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
