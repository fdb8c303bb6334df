import { UNKNOWN, stackPolicy } from "../lib/check";
import { runbook } from "../lib/meta";
import { stackWorkloads } from "../lib/stack";
import { onAllInterfaces, ports } from "../lib/workload";

export const uniqueHostPorts = stackPolicy<object>({
  name: "unique-host-ports",
  description: "No host port is published twice (the runbook gave graphiti and rag both 8082).",
  severity: "high",
  framework: runbook("Service-Specific Deployment; Firewall (8082 listed for two services)"),
  remediationSteps: "Give each published service its own host port (services.<name>.publishedPort); the config also refuses duplicates.",
  defaults: {},
  check(args, { read, report }) {
    const seen = new Map<string, { owner: string; ip?: string }[]>();
    for (const w of stackWorkloads(args.resources, read)) {
      const ps = read(`ports of ${w.resource.name}`, () => ports(w.workload));
      if (ps === UNKNOWN) continue;
      const owner = w.labels.service ? `${w.labels.service} (${w.resource.name})` : w.resource.name;
      for (const p of ps) {
        if (p.external === undefined) continue;
        const key = `${p.external}/${p.protocol}`;
        const claims = seen.get(key) ?? [];
        // Two bindings clash when they share an address, or either takes every interface.
        const clash = claims.find((c) => c.owner !== owner && (c.ip === p.ip || onAllInterfaces(p) || c.ip === undefined || ["0.0.0.0", "::"].includes(c.ip)));
        if (clash)
          report(`Host port ${p.external}/${p.protocol} is published by both ${clash.owner} and ${owner}; only one can bind it. Give one of them another publishedPort.`, w.resource.urn);
        claims.push({ owner, ip: onAllInterfaces(p) ? undefined : p.ip });
        seen.set(key, claims);
      }
    }
  },
});
