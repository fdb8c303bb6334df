import { describe, expect, it } from "vitest";
import { platformSchema, publishedPortClaims } from "../../../components/config/schema";
import {
  containerTarget,
  gatewayModel,
  rateLimitedBody,
  renderNginxConf,
  retryAfterSeconds,
  type RenderTarget,
} from "../../../components/gateway/nginx-conf";
import { gatewayConf, gatewayPorts, gatewaySpec } from "../../../components/gateway/spec";

const config = platformSchema.parse({
  services: { gmail: { replicas: 3 }, graphiti: { replicas: 2 } },
  gateway: { streamTimeoutSeconds: 1800, maxFails: 2, failTimeoutSeconds: 20, keepaliveConnections: 8, dnsValidSeconds: 5 },
});
const model = gatewayModel(config);
const conf = gatewayConf(config);

// The lines of one block, found by its opening line.
function block(text: string, opening: string): string[] {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === `${opening} {`);
  if (start < 0) throw new Error(`no block ${opening}`);
  const out: string[] = [];
  let depth = 0;
  for (const line of lines.slice(start)) {
    depth += (line.match(/{/g) ?? []).length - (line.match(/}/g) ?? []).length;
    out.push(line.trim());
    if (depth === 0) break;
  }
  return out;
}
const serverOn = (port: number) => {
  const blocks = conf.split(/\n {4}server \{\n/).slice(1);
  const found = blocks.find((b) => b.includes(`listen ${port};`));
  if (!found) throw new Error(`no server on ${port}`);
  return found.split("\n").map((l) => l.trim());
};

describe("gateway model", () => {
  it("serves exactly the ports of publishedPortClaims, one route each", () => {
    expect(model.routes.map((r) => r.listenPort)).toEqual(publishedPortClaims(config).map(([p]) => p));
    expect(model.routes.map((r) => r.service)).toEqual(["gmail", "graphiti", "rag", "health-monitor"]);
  });

  it("lists each MCP server's replicas by their own alias and the server's container port", () => {
    const byService = Object.fromEntries(model.routes.map((r) => [r.service, r.peers]));
    expect(byService.gmail).toEqual(["gmail-1:8080", "gmail-2:8080", "gmail-3:8080"]);
    expect(byService.graphiti).toEqual(["graphiti-1:8000", "graphiti-2:8000"]);
    expect(byService.rag).toEqual(["rag-1:8082"]);
    expect(byService["health-monitor"]).toEqual(["health-monitor:8083"]);
  });

  it("on a Swarm, lists the same named replicas (one single-task service each), so gateways on every node agree", () => {
    const swarm = platformSchema.parse({ mode: "swarm", publishAddress: "0.0.0.0", services: { gmail: { replicas: 3 } } });
    const gmail = gatewayModel(swarm).routes.find((r) => r.service === "gmail")!;
    expect(gmail.peers).toEqual(["gmail-1:8080", "gmail-2:8080", "gmail-3:8080"]);
    const upstream = block(gatewayConf(swarm), "upstream gmail-replicas");
    expect(upstream).toContain("hash $remote_addr consistent;");
    expect(upstream).toContain("server gmail-2:8080 max_fails=3 fail_timeout=10s resolve;");
  });

  it("leaves out disabled servers", () => {
    const m = gatewayModel(platformSchema.parse({ services: { rag: { enabled: false } }, healthMonitor: { enabled: false } }));
    expect(m.routes.map((r) => r.service)).toEqual(["gmail", "graphiti"]);
  });

  it("takes each service's rate limit and burst from config", () => {
    const limits = Object.fromEntries(model.routes.map((r) => [r.service, [r.rateLimitPerMinute, r.rateLimitBurst]]));
    expect(limits).toEqual({ gmail: [100, 20], graphiti: [200, 20], rag: [150, 20], "health-monitor": [500, 50] });
  });
});

describe("rendered nginx.conf", () => {
  it("has one upstream per service: consistent client-address hashing, passive health, keepalive, re-resolved names", () => {
    expect(block(conf, "upstream gmail-replicas")).toEqual([
      "upstream gmail-replicas {",
      "zone upstream-gmail 64k;",
      "hash $remote_addr consistent;",
      "server gmail-1:8080 max_fails=2 fail_timeout=20s resolve;",
      "server gmail-2:8080 max_fails=2 fail_timeout=20s resolve;",
      "server gmail-3:8080 max_fails=2 fail_timeout=20s resolve;",
      "keepalive 8;",
      "keepalive_timeout 60s;",
      "}",
    ]);
    expect(conf).toContain("resolver 127.0.0.11 valid=5s ipv6=off;");
    expect(conf).not.toMatch(/ip_hash|round_robin|least_conn/);
  });

  it("limits each service per client address, 429 over the limit with a JSON body and Retry-After", () => {
    expect(conf).toContain("limit_req_zone $binary_remote_addr zone=limit-gmail:10m rate=100r/m;");
    expect(conf).toContain("limit_req_zone $binary_remote_addr zone=limit-health-monitor:10m rate=500r/m;");
    expect(conf).toContain("limit_req_status 429;");
    const gmail = serverOn(8080);
    expect(gmail).toContain("limit_req zone=limit-gmail burst=20 nodelay;");
    expect(gmail).toContain("error_page 429 @rate-limited;");
    expect(gmail).toContain("add_header Retry-After 1 always;");
    expect(gmail).toContain(`return 429 '${rateLimitedBody(model.routes[0]!)}';`);
    expect(JSON.parse(rateLimitedBody(model.routes[0]!))).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 } });
  });

  it.each([
    [100, 1],
    [6, 10],
    [1, 60],
    [500, 1],
  ])("tells a client at %i requests a minute to retry after %i s", (rate, seconds) => {
    expect(retryAfterSeconds(rate)).toBe(seconds);
  });

  it("proxies each server's exact MCP path with Streamable HTTP settings (graphiti's is /mcp)", () => {
    const mcp = block(serverOn(8082).join("\n"), "location = /mcp");
    expect(mcp).toEqual(
      expect.arrayContaining([
        "proxy_pass http://graphiti-replicas;",
        "proxy_buffering off;",
        "gzip off;",
        "proxy_read_timeout 1800s;",
        "proxy_send_timeout 1800s;",
        "add_header Access-Control-Expose-Headers 'Mcp-Session-Id, MCP-Protocol-Version' always;",
      ]),
    );
    expect(serverOn(8082)).toContain("location = /mcp {");
    expect(serverOn(8080)).toContain("location = /mcp {");
  });

  it("speaks HTTP/1.1 to the replicas and keeps the connection header empty unless upgrading", () => {
    const gmail = serverOn(8080);
    expect(gmail).toContain("proxy_http_version 1.1;");
    expect(gmail).toContain("proxy_set_header Connection $connection_upgrade;");
    expect(block(conf, "map $http_upgrade $connection_upgrade")).toEqual(["map $http_upgrade $connection_upgrade {", "default upgrade;", "'' '';", "}"]);
  });

  it("retries on another replica only on connection errors and timeouts, never re-sending a received POST", () => {
    const gmail = serverOn(8080);
    expect(gmail).toContain("proxy_next_upstream error timeout;");
    expect(conf).not.toContain("non_idempotent");
    expect(conf).not.toMatch(/proxy_next_upstream[^;]*http_5/);
  });

  it("answers /healthz itself, logs JSON to stdout, and writes only to its runtime directory", () => {
    expect(block(conf, "location = /healthz")).toContain("return 200 'ok\\n';");
    expect(conf).toMatch(/log_format json escape=json '\{"time":"\$time_iso8601","service":"\$gateway_service",.*"rate_limit":"\$limit_req_status"/);
    expect(conf).toContain("access_log /dev/stdout json;");
    expect(conf).not.toContain("$http_mcp_session_id");
    const paths = [...conf.matchAll(/^\s*(?:pid|\w+_temp_path) (\S+);/gm)].map((m) => m[1]!);
    expect(paths).toHaveLength(6);
    for (const p of paths) expect(p.startsWith("/tmp/")).toBe(true);
  });

  it("proxies everything on the monitor's port, WebSocket included", () => {
    const monitor = serverOn(8083);
    expect(monitor).toContain("location / {");
    expect(monitor).toContain("proxy_pass http://health-monitor-replicas;");
    expect(monitor).toContain("proxy_set_header Upgrade $http_upgrade;");
  });

  it("differs from what the loopback tests run only by Docker's resolver and `resolve`", () => {
    const local: RenderTarget = { ...containerTarget(5), resolver: undefined };
    const tested = renderNginxConf(model, local).split("\n");
    const shipped = conf.split("\n");
    const extra = shipped.filter((l) => !tested.includes(l) && !tested.includes(l.replace(/ resolve;$/, ";")));
    expect(extra.map((l) => l.trim())).toEqual(["resolver 127.0.0.11 valid=5s ipv6=off;", "resolver_timeout 5s;"]);
    expect(shipped.filter((l) => l.endsWith(" resolve;"))).toHaveLength(3 + 2 + 1 + 1);
  });
});

describe("gateway workload", () => {
  const spec = gatewaySpec(config, { image: "nginx-image", frontendNetwork: "front" });

  it("publishes every claimed port on the same port inside, bound to publishAddress", () => {
    expect(gatewayPorts(config)).toEqual([8080, 8082, 8084, 8083].map((p) => ({ internal: p, published: p, address: "127.0.0.1" })));
    expect(spec.ports).toEqual(gatewayPorts(config));
  });

  it("runs nginx as its unprivileged user on a read-only root with a tmpfs, with no capability", () => {
    expect([spec.user, spec.readOnlyRootFilesystem, spec.tmpfs, spec.capAdd]).toEqual(["101:101", true, ["/tmp"], []]);
    expect(spec.entrypoint).toEqual(["nginx"]);
    expect(spec.command).toEqual(["-c", "/etc/nginx/mcp-platform/nginx.conf", "-e", "stderr"]);
    expect(spec.files).toEqual([{ path: "/etc/nginx/mcp-platform/nginx.conf", content: conf, secret: false }]);
  });

  it("checks its own health on /healthz", () => {
    expect(spec.healthcheck.test).toEqual(["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]);
  });

  it("refuses to run with nothing to serve", () => {
    const none = platformSchema.parse({
      services: { gmail: { enabled: false }, graphiti: { enabled: false }, rag: { enabled: false } },
      healthMonitor: { enabled: false },
    });
    expect(() => gatewaySpec(none, { image: "x", frontendNetwork: "f" })).toThrow(/nothing to serve/);
  });
});
