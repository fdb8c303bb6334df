import type { PolicyResource } from "@pulumi/policy";
import { UNKNOWN, stackPolicy } from "../lib/check";
import { authenticates, bindPorts, frontends, parseHaproxy, terminatesTls } from "../lib/haproxy";
import { runbook } from "../lib/meta";
import { byComponent, isHaproxyConfig, stackWorkloads, workloadFiles } from "../lib/stack";
import { field, ports, text, type PublishedPort } from "../lib/workload";

// The declaration the gateway's config carries when a load balancer in front terminates TLS
// (components/gateway/haproxy-cfg.ts, TLS_TERMINATED_IN_FRONT).
const TLS_IN_FRONT = /^# TLS is terminated in front of the gateway: (.+)$/m;
const FIREWALL_COMMANDS = ["command:local:Command", "command:remote:Command"];

const isLoopback = (ip: string | undefined) => ip !== undefined && (/^127\./.test(ip) || ip === "::1" || ip === "[::1]");

// Ports the firewall opens to anyone: its apply command's `'<port>=0.0.0.0/0'` arguments.
function openToTheWorld(resources: PolicyResource[], read: <T>(what: string, get: () => T) => T | typeof UNKNOWN): Set<number> {
  const out = new Set<number>();
  for (const r of resources.filter((x) => FIREWALL_COMMANDS.includes(x.type))) {
    const create = read(`create of ${r.name}`, () => text(field(r.props, "create")));
    if (create === UNKNOWN || !create?.includes("DOCKER-USER")) continue;
    for (const m of create.matchAll(/'(\d+)=0\.0\.0\.0\/0'/g)) out.add(Number(m[1]));
  }
  return out;
}

export const publishedRoutesTlsAuth = stackPolicy<object>({
  name: "published-routes-tls-auth",
  description:
    "Every route the gateway publishes beyond loopback has TLS and authentication in the gateway; no firewall allowlist of 0.0.0.0/0 for a route without authentication.",
  severity: "critical",
  framework: runbook("Network Security: access control on published services", "MCP authorization (OAuth 2.1 resource server); OWASP API2 broken authentication"),
  remediationSteps:
    "Set gateway.tls.certificate and gateway.tls.privateKey (or declare gateway.tls.terminatedBy.reason when a load balancer in front terminates TLS), give every route services.<name>.auth.mode apiKey or oauth, and list only the networks that may connect in firewall.allowFrom.",
  defaults: {},
  check(args, { read, report }) {
    const gateways = byComponent(stackWorkloads(args.resources, read), "gateway");
    if (gateways.length === 0) return args.notApplicable("no gateway: nothing is published through one");
    const world = openToTheWorld(args.resources, read);
    for (const g of gateways) {
      const gname = g.labels.service ?? g.resource.name;
      const ps = read(`ports of gateway ${g.resource.name}`, () => ports(g.workload));
      const files = workloadFiles(g, args.resources, read, isHaproxyConfig);
      if (ps === UNKNOWN || files === UNKNOWN) continue;
      const raw = files.map((f) => f.content ?? "").filter((c) => /^\s*frontend\s/m.test(c));
      const conf = raw.flatMap(parseHaproxy);
      const tlsInFront = raw.some((c) => TLS_IN_FRONT.test(c));
      const route = (p: PublishedPort) => frontends(conf).find((f) => bindPorts(f).includes(p.internal ?? -1));
      for (const p of ps) {
        const f = route(p);
        const where = `port ${p.external ?? p.internal}${p.ip ? ` on ${p.ip}` : " on every interface"}`;
        const anyone = p.external !== undefined && world.has(p.external);
        if (!isLoopback(p.ip)) {
          if (!f) {
            report(`The gateway ${gname} publishes ${where} beyond loopback with no route in its HAProxy config that could authenticate callers. Serve it from a frontend with TLS and authentication, or stop publishing it.`, g.resource.urn);
            continue;
          }
          if (!terminatesTls(f) && !tlsInFront)
            report(`The gateway ${gname} publishes ${where} beyond loopback without TLS (frontend ${f.name}). Set gateway.tls.certificate and gateway.tls.privateKey, or declare gateway.tls.terminatedBy.reason.`, g.resource.urn);
          if (!authenticates(f))
            report(`The gateway ${gname} publishes ${where} beyond loopback without authentication (frontend ${f.name}). Set its auth.mode to apiKey or oauth.`, g.resource.urn);
        }
        if (anyone && f && !authenticates(f) && isLoopback(p.ip))
          report(`The firewall allows 0.0.0.0/0 to port ${p.external}, whose route (frontend ${f.name}) has no authentication. Set its auth.mode to apiKey or oauth, or list the networks that may connect in firewall.allowFrom.`, g.resource.urn);
      }
    }
  },
});
