import { describe, expect, it } from "vitest";
import { mcpBehindRateLimit } from "../../../policies/stack/mcp-behind-rate-limit";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, service, withLabels } from "../fixtures";

const server = (svc: string, ports: unknown[] = []) =>
  withLabels(container({ ports, networksAdvanced: [{ name: "mcp-dev-frontend", aliases: [svc, `${svc}-1`] }] }, `${svc}-1`), { service: svc, component: "mcp-server" });

const LIMITED = `
# one zone per server
limit_req_zone $binary_remote_addr zone=gmail:10m rate=100r/m;
limit_req_zone $binary_remote_addr zone=rag:10m rate=150r/m;
upstream gmail_upstream { ip_hash; server gmail:8080; }
server {
  listen 8080;
  location /mcp { limit_req zone=gmail burst=20 nodelay; proxy_pass http://gmail_upstream; }
}
server {
  listen 8084;
  limit_req zone=rag burst=20;
  location /mcp { proxy_pass http://rag:8082; }
}
`;
const PUBLISHED = [{ internal: 8080, external: 8080, ip: "127.0.0.1" }, { internal: 8084, external: 8084, ip: "127.0.0.1" }];
const gateway = (conf: unknown, ports: unknown[] = PUBLISHED) =>
  withLabels(container({ ports, uploads: [{ file: "/etc/nginx/conf.d/mcp.conf", content: conf }] }, "gateway"), { service: "gateway", component: "gateway" });

describe("mcp-behind-rate-limit", () => {
  it("passes MCP servers reached only through a gateway that rate-limits each of them", async () => {
    expectClean(await runPolicy(mcpBehindRateLimit, [server("gmail"), server("rag"), gateway(LIMITED)]));
  });
  it("follows upstreams to replica aliases (gmail-1) and, on a Swarm, reads the config from a docker.ServiceConfig", async () => {
    const conf = `limit_req_zone $binary_remote_addr zone=limit-gmail:10m rate=100r/m;
      upstream gmail-replicas { server gmail-1:8080 resolve; server tasks.gmail:8080 resolve; }
      server { listen 8080; limit_req zone=limit-gmail burst=20 nodelay; location = /mcp { proxy_pass http://gmail-replicas; } }`;
    const swarmGateway = withLabels(
      service({ endpointSpec: { ports: [{ targetPort: 8080, publishedPort: 8080, publishMode: "host" }] } }, { configs: [{ configId: "c1", configName: "gateway-nginx-conf", fileName: "/etc/nginx/mcp-platform/nginx.conf" }] }, "gateway"),
      { service: "gateway", component: "gateway" },
    );
    const config = { type: "docker:index/serviceConfig:ServiceConfig", name: "gateway-nginx-conf", props: { name: "gateway-nginx-conf", data: Buffer.from(conf).toString("base64") } };
    expectClean(await runPolicy(mcpBehindRateLimit, [server("gmail"), swarmGateway, config]));
    // Without its ServiceConfig the gateway has no config at all.
    expectViolations(await runPolicy(mcpBehindRateLimit, [server("gmail"), swarmGateway]), ["is given no nginx config with a limit_req_zone"]);
  });
  it("does not apply to a stack where no gateway and no server publishes anything (nothing to rate-limit)", async () => {
    const r = await runPolicy(mcpBehindRateLimit, [server("gmail")]);
    expect([r.mandatory, r.advisories]).toEqual([[], []]);
    expect(r.notApplicable.map((n) => n.reason)).toEqual([expect.stringMatching(/^no gateway, and no MCP server publishes a port/)]);
  });
  it("still reports an MCP server that publishes its own port, gateway or not", async () => {
    const r = await runPolicy(mcpBehindRateLimit, [server("gmail", [{ internal: 8080, external: 8080 }])]);
    expect(r.mandatory.map((d) => d.message)).toEqual([expect.stringContaining("MCP server gmail publishes host port 8080 itself, bypassing the gateway's rate limit")]);
  });
  it("reports the runbook's load balancer: no limit_req_zone at all", async () => {
    const runbookConf = "upstream gmail_mcp { server gmail-mcp-server-1:8080; }\nserver { listen 80; location / { proxy_pass http://gmail_mcp; } }";
    expectViolations(await runPolicy(mcpBehindRateLimit, [server("gmail"), gateway(runbookConf)]), ["is given no nginx config with a limit_req_zone"]);
  });
  it("reports a server without a route, a route without limit_req, and a limit on an undeclared zone", async () => {
    const conf = `limit_req_zone $binary_remote_addr zone=gmail:10m rate=100r/m;
      server { location /gmail { proxy_pass http://gmail:8080; } location /graphiti { limit_req zone=nozone; proxy_pass http://graphiti:8000; } }`;
    expectViolations(
      await runPolicy(mcpBehindRateLimit, [server("gmail"), server("graphiti"), server("rag"), gateway(conf)]),
      ["proxies to MCP server gmail (http://gmail:8080) without a limit_req"],
      ["proxies to MCP server graphiti"],
      ["has no route to MCP server rag"],
    );
  });
  it("reports a server block the gateway does not publish, so the limited route can't be reached", async () => {
    expectViolations(await runPolicy(mcpBehindRateLimit, [server("gmail"), server("rag"), gateway(LIMITED, [PUBLISHED[0]])]), ["serves MCP server rag on port 8084, which it does not publish"]);
  });
  it("reports a gateway that publishes nothing", async () => {
    expectViolations(await runPolicy(mcpBehindRateLimit, [server("gmail"), server("rag"), gateway(LIMITED, [])]), ["publishes no port"]);
  });
  it("can't decide while the uploaded config is unknown", async () => {
    expectUndecided(await runPolicy(mcpBehindRateLimit, [server("gmail"), computedFrom(gateway(UNKNOWN_STRING), { uploads: ["gateway-conf"] })]), "uploads of gateway");
  });
});
