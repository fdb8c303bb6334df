import { stackPolicy } from "../lib/check";
import { runbook } from "../lib/meta";
import { byComponent, stackWorkloads } from "../lib/stack";
import { replicas } from "../lib/workload";

export const mcpMinReplicas = stackPolicy<{ minReplicas: number }>({
  name: "mcp-min-replicas",
  description: "Every MCP server runs at least minReplicas replicas (2 in prod), so one can be replaced while the other serves.",
  severity: "medium",
  framework: runbook("Horizontal Scaling; Zero-Downtime Updates"),
  remediationSteps: "Set services.<name>.replicas to at least minReplicas.",
  configSchema: { minReplicas: { type: "integer", minimum: 1 } },
  defaults: { minReplicas: 2 },
  check(args, { config, read, report }) {
    const counts = new Map<string, number>();
    for (const w of byComponent(stackWorkloads(args.resources, read), "mcp-server")) {
      const service = w.labels.service ?? w.resource.name;
      const n = read(`replicas of ${w.resource.name}`, () => replicas(w.workload));
      counts.set(service, (counts.get(service) ?? 0) + (typeof n === "number" ? n : 1));
    }
    for (const [service, n] of counts)
      if (n < config.minReplicas)
        report(`MCP server ${service} runs ${n} replica${n === 1 ? "" : "s"}; this stack needs at least ${config.minReplicas}. Set services.${service}.replicas to ${config.minReplicas} or more.`);
  },
});
