import { UNKNOWN, stackPolicy } from "../lib/check";
import { backend, backendsOf, bindPorts, frontends, parseHaproxy, rateLimited, serverHosts, type Section } from "../lib/haproxy";
import { runbook } from "../lib/meta";
import { byComponent, isHaproxyConfig, reachableNames, stackWorkloads, workloadFiles } from "../lib/stack";
import { ports } from "../lib/workload";

export const mcpBehindRateLimit = stackPolicy<object>({
  name: "mcp-behind-rate-limit",
  description: "Every MCP server is reached only through the gateway, which rate-limits each server's route (a tracked request rate answered with 429).",
  severity: "high",
  framework: runbook("Access Control: rate limiting (gmail 100, graphiti 200, rag 150, monitor 500 per minute)"),
  remediationSteps:
    "Publish MCP servers only through the gateway (component gateway), whose HAProxy config tracks each route's request rate (http-request track-sc0) and answers 429 over services.<name>.rateLimitPerMinute.",
  defaults: {},
  check(args, { read, report }) {
    const ws = stackWorkloads(args.resources, read);
    const servers = byComponent(ws, "mcp-server");
    if (servers.length === 0) return args.notApplicable("no MCP server in this stack");
    let selfPublished = false;
    for (const s of servers) {
      const ps = read(`ports of ${s.resource.name}`, () => ports(s.workload));
      if (ps !== UNKNOWN && ps.length) selfPublished = true;
      if (ps !== UNKNOWN && ps.length)
        report(`MCP server ${s.labels.service} publishes host port ${ps.map((p) => p.external ?? "(random)").join(", ")} itself, bypassing the gateway's rate limit. Remove its ports; the gateway publishes it.`, s.resource.urn);
    }
    const gateways = byComponent(ws, "gateway");
    if (gateways.length === 0) {
      // Servers that publish their own ports were reported above; otherwise nothing reaches them from outside.
      if (!selfPublished) return args.notApplicable("no gateway, and no MCP server publishes a port: nothing reaches the servers from outside to rate-limit");
      return;
    }
    // Each MCP server (by service label) and every name the gateway may reach its replicas by.
    const names = new Map<string, Set<string>>();
    for (const s of servers) {
      const service = s.labels.service ?? s.resource.name;
      names.set(service, new Set([...(names.get(service) ?? []), ...reachableNames(s, read)]));
    }
    for (const g of gateways) {
      const gname = g.labels.service ?? g.resource.name;
      const ps = read(`ports of gateway ${g.resource.name}`, () => ports(g.workload));
      if (ps !== UNKNOWN && ps.length === 0)
        report(`The gateway ${gname} publishes no port, so MCP clients can't reach the servers through it. Publish each server's publishedPort on the gateway.`, g.resource.urn);
      const files = workloadFiles(g, args.resources, read, isHaproxyConfig);
      if (files === UNKNOWN) continue;
      const confs = files.filter((f) => /^\s*frontend\s/m.test(f.content ?? ""));
      if (confs.length === 0) {
        report(`The gateway ${gname} is given no HAProxy config with a frontend: MCP requests are not routed or rate-limited. Give it the rendered haproxy.cfg.`, g.resource.urn);
        continue;
      }
      const conf: Section[] = confs.flatMap((f) => parseHaproxy(f.content ?? ""));
      for (const [name, reachable] of names) {
        const routes = frontends(conf).filter((f) => backendsOf(f).some((b) => serverHosts(backend(conf, b) ?? { kind: "", name: "", lines: [] }).some((h) => reachable.has(h))));
        if (routes.length === 0) {
          report(`The gateway ${gname} has no route to MCP server ${name}. Add a frontend whose backend lists ${name}'s replicas, with a rate limit.`, g.resource.urn);
          continue;
        }
        for (const f of routes) {
          // The route must be reachable: its frontend binds a port the gateway publishes.
          const listening = bindPorts(f);
          if (ps !== UNKNOWN && ps.length && listening.length && !listening.some((l) => ps.some((p) => p.internal === l)))
            report(`The gateway ${gname} serves MCP server ${name} on port ${listening.join(", ")}, which it does not publish. Publish that port (the server's publishedPort) on the gateway.`, g.resource.urn);
          if (!rateLimited(f))
            report(`The gateway ${gname} routes to MCP server ${name} (frontend ${f.name}) without a rate limit. Track the request rate (http-request track-sc0) and answer 429 over the limit.`, g.resource.urn);
        }
      }
    }
  },
});
