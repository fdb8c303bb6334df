import { UNKNOWN, stackPolicy } from "../lib/check";
import { runbook } from "../lib/meta";
import { all, hostOf, limitZones, listenPorts, parseNginx, proxyPasses, upstreams, type Directive } from "../lib/nginx";
import { byComponent, reachableNames, stackWorkloads, workloadFiles } from "../lib/stack";
import { ports } from "../lib/workload";

export const mcpBehindRateLimit = stackPolicy<object>({
  name: "mcp-behind-rate-limit",
  description: "Every MCP server is reached only through the gateway, which rate-limits each server's upstream (limit_req).",
  severity: "high",
  framework: runbook("Access Control: rate limiting (gmail 100, graphiti 200, rag 150, monitor 500 per minute)"),
  remediationSteps:
    "Publish MCP servers only through the gateway (component gateway), whose nginx config declares a limit_req_zone and applies limit_req on every location that proxies to an MCP server (services.<name>.rateLimitPerMinute).",
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
      const files = workloadFiles(g, args.resources, read);
      if (files === UNKNOWN) continue;
      const confs = files.filter((f) => f.content?.includes("limit_req_zone"));
      if (confs.length === 0) {
        report(`The gateway ${gname} is given no nginx config with a limit_req_zone: MCP requests are not rate-limited. Declare a limit_req_zone per server and apply limit_req where it proxies to each.`, g.resource.urn);
        continue;
      }
      const conf: Directive[] = confs.flatMap((f) => parseNginx(f.content ?? ""));
      const zones = new Set(all(conf, "limit_req_zone").map((d) => (d.args.find((a) => a.startsWith("zone=")) ?? "").slice(5).split(":")[0]));
      const ups = upstreams(conf);
      for (const [name, reachable] of names) {
        const routes = proxyPasses(conf).filter((p) => {
          const host = hostOf(p.target);
          return reachable.has(host) || (ups.get(host) ?? []).some((h) => reachable.has(h));
        });
        if (routes.length === 0) {
          report(`The gateway ${gname} has no route to MCP server ${name}. Add an upstream of ${name}'s replicas and a location that proxies to it with limit_req.`, g.resource.urn);
          continue;
        }
        for (const r of routes) {
          // The route must be reachable: its server block listens on a port the gateway publishes.
          const server = [...r.chain].reverse().find((d) => d.name === "server");
          const listening = server ? listenPorts(server) : [];
          if (ps !== UNKNOWN && ps.length && listening.length && !listening.some((l) => ps.some((p) => p.internal === l)))
            report(`The gateway ${gname} serves MCP server ${name} on port ${listening.join(", ")}, which it does not publish. Publish that port (the server's publishedPort) on the gateway.`, g.resource.urn);
          const inForce = limitZones(r.chain, conf).filter((z) => zones.has(z.split(":")[0] ?? z));
          if (inForce.length === 0)
            report(`The gateway ${gname} proxies to MCP server ${name} (${r.target}) without a limit_req whose zone is declared. Add limit_req zone=<${name}'s zone> to that location.`, g.resource.urn);
        }
      }
    }
  },
});
