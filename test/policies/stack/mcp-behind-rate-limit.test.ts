import { describe, expect, it } from "vitest";
import { mcpBehindRateLimit } from "../../../policies/stack/mcp-behind-rate-limit";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { computedFrom, container, expectClean, expectUndecided, expectViolations, service, withLabels } from "../fixtures";

const server = (svc: string, ports: unknown[] = []) =>
  withLabels(container({ ports, networksAdvanced: [{ name: "mcp-dev-frontend", aliases: [svc, `${svc}-1`] }] }, `${svc}-1`), { service: svc, component: "mcp-server" });

const limited = (name: string, port: number, host: string) => `
frontend ${name}
    bind :${port} ssl crt /conf/tls.pem
    http-request track-sc0 var(txn.rlkey) table rl_${name}
    http-request set-var(txn.deny) str(429) if { sc_http_req_rate(0) gt 21 }
    http-request return status 429 content-type application/json string '{}' if { var(txn.deny) -m str 429 }
    default_backend be_${name}
backend be_${name}
    # replicas by alias
    server ${name}-1 ${host}:8080
`;
const LIMITED = limited("gmail", 8080, "gmail-1") + limited("rag", 8084, "rag");
const PUBLISHED = [{ internal: 8080, external: 8080, ip: "127.0.0.1" }, { internal: 8084, external: 8084, ip: "127.0.0.1" }];
const gateway = (conf: unknown, ports: unknown[] = PUBLISHED) =>
  withLabels(container({ ports, uploads: [{ file: "/usr/local/etc/haproxy/mcp-platform/haproxy.cfg", content: conf }] }, "gateway"), { service: "gateway", component: "gateway" });

describe("mcp-behind-rate-limit", () => {
  it("passes MCP servers reached only through a gateway that rate-limits each of them", async () => {
    expectClean(await runPolicy(mcpBehindRateLimit, [server("gmail"), server("rag"), gateway(LIMITED)]));
  });
  it("follows backends to replica aliases and Swarm's tasks.<name>, reading a docker.ServiceConfig on a Swarm", async () => {
    const conf = limited("gmail", 8080, "tasks.gmail");
    const swarmGateway = withLabels(
      service({ endpointSpec: { ports: [{ targetPort: 8080, publishedPort: 8080, publishMode: "host" }] } }, { configs: [{ configId: "c1", configName: "gateway-haproxy-cfg", fileName: "/usr/local/etc/haproxy/mcp-platform/haproxy.cfg" }] }, "gateway"),
      { service: "gateway", component: "gateway" },
    );
    const config = { type: "docker:index/serviceConfig:ServiceConfig", name: "gateway-haproxy-cfg", props: { name: "gateway-haproxy-cfg", data: Buffer.from(conf).toString("base64") } };
    expectClean(await runPolicy(mcpBehindRateLimit, [server("gmail"), swarmGateway, config]));
    expectViolations(await runPolicy(mcpBehindRateLimit, [server("gmail"), swarmGateway]), ["is given no HAProxy config with a frontend"]);
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
  it("reports the runbook's nginx load balancer: no HAProxy frontend at all", async () => {
    const runbookConf = "upstream gmail_mcp { server gmail-mcp-server-1:8080; }\nserver { listen 80; location / { proxy_pass http://gmail_mcp; } }";
    expectViolations(await runPolicy(mcpBehindRateLimit, [server("gmail"), gateway(runbookConf)]), ["is given no HAProxy config with a frontend"]);
  });
  it("reports a server without a route, and a route without a rate limit", async () => {
    const conf = `${limited("rag", 8084, "rag")}\nfrontend gmail\n    bind :8080\n    default_backend be_gmail\nbackend be_gmail\n    server gmail-1 gmail:8080\n`;
    expectViolations(
      await runPolicy(mcpBehindRateLimit, [server("gmail"), server("graphiti"), server("rag"), gateway(conf)]),
      ["routes to MCP server gmail (frontend gmail) without a rate limit"],
      ["has no route to MCP server graphiti"],
    );
  });
  it("reports a frontend the gateway does not publish, so the limited route can't be reached", async () => {
    expectViolations(await runPolicy(mcpBehindRateLimit, [server("gmail"), server("rag"), gateway(LIMITED, [PUBLISHED[0]])]), ["serves MCP server rag on port 8084, which it does not publish"]);
  });
  it("reports a gateway that publishes nothing", async () => {
    expectViolations(await runPolicy(mcpBehindRateLimit, [server("gmail"), server("rag"), gateway(LIMITED, [])]), ["publishes no port"]);
  });
  it("can't decide while the uploaded config is unknown", async () => {
    expectUndecided(await runPolicy(mcpBehindRateLimit, [server("gmail"), computedFrom(gateway(UNKNOWN_STRING), { uploads: ["gateway-conf"] })]), "uploads of gateway");
  });
});
