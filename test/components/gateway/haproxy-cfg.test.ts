// The model and the rendered haproxy.cfg, read as text: what each setting turns into. haproxy.test.ts runs it.
import { describe, expect, it } from "vitest";
import { platformSchema, publishedPortClaims } from "../../../components/config/schema";
import { renderHaproxyCfg } from "../../../components/gateway/haproxy-cfg";
import { gatewayModel, metadataPath, rateLimitedBody, rateWindow, retryAfterSeconds } from "../../../components/gateway/model";
import { selfSignedCommand } from "../../../components/gateway/index";
import { containerTarget, gatewayConf, gatewayPorts, gatewaySpec, GATEWAY_CONF_DIR } from "../../../components/gateway/spec";
import { networkRef } from "../../harness/fixtures";

const PEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfake\n-----END PUBLIC KEY-----";
const config = platformSchema.parse({
  gateway: { tls: { selfSigned: true }, allowedOrigins: ["https://app.example.com"], maxFails: 2, failTimeoutSeconds: 20, dnsValidSeconds: 5 },
  services: {
    gmail: { replicas: 3, auth: { mode: "oauth", issuer: "https://auth.example.com", publicKeys: [PEM, PEM], scopes: ["mcp:tools"] } },
    graphiti: { replicas: 2 },
  },
});
const model = gatewayModel(config);
const conf = gatewayConf(config);
const inputs = { image: "haproxy-image", frontendNetwork: networkRef("front"), tlsPem: "PEM", apiKeyHashes: { graphiti: [], rag: [], "health-monitor": [] } };

// The lines of one section (global, frontend gmail, backend be_gmail...), trimmed.
function section(header: string): string[] {
  const lines = conf.split("\n");
  const start = lines.indexOf(header);
  if (start < 0) throw new Error(`no section ${header}`);
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith(" ")) break;
    out.push(l.trim());
  }
  return out;
}

describe("gateway model", () => {
  it("serves exactly the ports of publishedPortClaims, one route each, with https URLs and canonical resources", () => {
    expect(model.routes.map((r) => r.listenPort)).toEqual(publishedPortClaims(config).map(([p]) => p));
    expect(model.routes.map((r) => r.service)).toEqual(["gmail", "graphiti", "rag", "health-monitor"]);
    expect(model.routes.map((r) => r.resource)).toEqual(["https://127.0.0.1:8080/mcp", "https://127.0.0.1:8082/mcp", "https://127.0.0.1:8084/mcp", "https://127.0.0.1:8083/"]);
    expect(metadataPath(model.routes[1]!)).toBe("/.well-known/oauth-protected-resource/mcp");
    expect(metadataPath(model.routes[3]!)).toBe("/.well-known/oauth-protected-resource");
  });

  it("lists each MCP server's replicas by their own alias and the server's container port", () => {
    const byService = Object.fromEntries(model.routes.map((r) => [r.service, r.peers]));
    expect(byService).toEqual({ gmail: ["gmail-1:8080", "gmail-2:8080", "gmail-3:8080"], graphiti: ["graphiti-1:8000", "graphiti-2:8000"], rag: ["rag-1:8082"], "health-monitor": ["health-monitor:8083"] });
  });

  it("turns a rate and burst into a sliding window with the same long-run rate", () => {
    expect(rateWindow({ rateLimitPerMinute: 100, rateLimitBurst: 20 })).toEqual({ periodMs: 12600, allowed: 21 });
    expect(rateWindow({ rateLimitPerMinute: 6, rateLimitBurst: 3 })).toEqual({ periodMs: 40000, allowed: 4 });
    expect([retryAfterSeconds(100), retryAfterSeconds(6), retryAfterSeconds(1)]).toEqual([1, 10, 60]);
    expect(JSON.parse(rateLimitedBody(model.routes[0]!))).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32000 } });
  });
});

describe("rendered haproxy.cfg", () => {
  it("binds every route with TLS 1.2+ and modern ciphers only, and sends HSTS", () => {
    expect(section("frontend gmail")[0]).toBe(`bind :8080 ssl crt ${GATEWAY_CONF_DIR}/tls.pem alpn h2,http/1.1`);
    const global = section("global");
    expect(global).toContain("ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets");
    expect(global.find((l) => l.startsWith("ssl-default-bind-ciphers "))).not.toMatch(/CBC|RC4|3DES|SHA1|MD5|NULL|aNULL|EXPORT/i);
    expect(section("frontend gmail")).toContain('http-after-response set-header strict-transport-security "max-age=63072000"');
  });

  it("serves plain HTTP only when TLS is off (loopback dev), and then sends no HSTS", () => {
    const plain = gatewayConf(platformSchema.parse({}));
    expect(plain).toContain("bind :8080\n");
    expect(plain).not.toContain("ssl crt");
    expect(plain).not.toContain("strict-transport-security");
  });

  it("verifies JWTs in oauth mode: alg, signature by each listed key, iss, aud, exp, nbf, scopes; serves RFC 9728 metadata", () => {
    const f = section("frontend gmail");
    expect(f).toEqual(
      expect.arrayContaining([
        `acl sig_ok var(txn.bearer),jwt_verify(RS256,${GATEWAY_CONF_DIR}/gmail-issuer-1.pem) -m int 1`,
        `acl sig_ok var(txn.bearer),jwt_verify(RS256,${GATEWAY_CONF_DIR}/gmail-issuer-2.pem) -m int 1`,
        "acl iss_ok var(txn.bearer),jwt_payload_query('$.iss') -m str https://auth.example.com",
        "acl aud_ok var(txn.bearer),jwt_payload_query('$.aud') -m str https://127.0.0.1:8080/mcp",
        "http-request set-var(txn.valid) bool(true) if has_token !cached alg_ok iss_ok aud_ok exp_ok nbf_ok sig_ok",
        "acl scope_0 var(txn.bearer),jwt_payload_query('$.scope') -m reg '(^| )mcp:tools( |$)'",
      ]),
    );
    // A token that passed once is found by its hash; only its time (exp, nbf) is checked again.
    expect(conf).toContain("backend jwt_gmail\n    stick-table type binary len 32 size 20k expire 5m store gpt(3)");
    expect(f).toEqual(
      expect.arrayContaining([
        "http-request set-var(txn.tkey) var(txn.bearer),digest(sha256) if has_token",
        "http-request set-var(txn.cached) var(txn.tkey),table_gpt(0,jwt_gmail) if has_token",
        "http-request set-var(txn.valid) bool(true) if has_token cached exp_ok nbf_ok",
        "http-request track-sc2 var(txn.tkey) table jwt_gmail if valid !cached scope_0 { var(txn.exp) -m int lt 4294967296 } { var(txn.nbf) -m int ge 0 }",
      ]),
    );
    // Scopes are checked on a first sighting only: a cached token had them all.
    expect(f).toContain("http-request set-var(txn.deny) str(403scope) if !{ var(txn.deny) -m found } valid !cached !scope_0 !is_health");
    // apiKey routes have no token cache.
    expect(conf).not.toContain("backend jwt_graphiti");
    expect(f.find((l) => l.includes("oauth-protected-resource"))).toContain("if { path /.well-known/oauth-protected-resource/mcp } || { path /.well-known/oauth-protected-resource }");
    expect(f.find((l) => l.startsWith("http-request return status 401"))).toContain(
      `hdr www-authenticate 'Bearer resource_metadata="https://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp", scope="mcp:tools", error="invalid_token"'`,
    );
    expect(f.find((l) => l.startsWith("http-request return status 403") && l.includes("insufficient_scope"))).toBeDefined();
  });

  it("looks API keys up by their SHA-256 in a map file (apiKey, the default mode)", () => {
    expect(section("frontend graphiti")).toContain(`http-request set-var(txn.client) http_auth_bearer,digest(sha256),hex,lower,map(${GATEWAY_CONF_DIR}/graphiti-api-keys.map)`);
    expect(section("frontend health-monitor").some((l) => l.includes("http_auth_pass,digest(sha256)"))).toBe(true);
  });

  it("strips the client's credentials before the upstream, refuses tokens in the URL, checks Origin", () => {
    for (const r of model.routes) {
      const f = section(`frontend ${r.service}`);
      expect(f).toContain("http-request del-header authorization");
      expect(f).toContain("http-request set-var(txn.deny) str(400query) if !{ var(txn.deny) -m found } { url_param(access_token) -m found }");
      expect(f).toContain(`acl origin_ok req.hdr(origin) -m str ${r.origin} https://app.example.com`);
    }
  });

  it("routes a session by the replica its id names (no table to lose on a reload); no session: round robin", () => {
    const b = section("backend be_gmail");
    expect(b).toEqual(
      expect.arrayContaining([
        "balance roundrobin",
        "use-server gmail-1 if { var(txn.sid_replica) -m str gmail-1 }",
        "use-server gmail-3 if { var(txn.sid_replica) -m str gmail-3 }",
        "option httpchk GET /health",
        "http-check expect status 200",
        "timeout check 5s",
        "retry-on conn-failure",
        "server gmail-1 gmail-1:8080",
        "server gmail-3 gmail-3:8080",
      ]),
    );
    expect(b.join("\n")).not.toMatch(/stick/);
    expect(b.find((l) => l.startsWith("default-server"))).toBe(
      "default-server check inter 20s fall 2 rise 1 observe layer4 error-limit 2 on-error mark-down pool-max-conn 16 resolvers docker init-addr last,libc,none resolve-prefer ipv4",
    );
    const f = section("frontend gmail");
    // In: the replica's name comes off the id, only when it names one of this route's replicas.
    expect(f).toEqual(
      expect.arrayContaining([
        "http-request set-var(txn.sid_replica) req.hdr(mcp-session-id),field(1,.) if { req.hdr(mcp-session-id) -m found }",
        "http-request unset-var(txn.sid_replica) if !{ var(txn.sid_replica) -m str gmail-1 gmail-2 gmail-3 }",
        "http-request set-header mcp-session-id %[req.hdr(mcp-session-id),field(2,.,0)] if { var(txn.sid_replica) -m found }",
        "http-response set-header mcp-session-id %[srv_name].%[res.hdr(mcp-session-id)] if { res.hdr(mcp-session-id) -m found }",
      ]),
    );
    expect(section("resolvers docker")).toEqual(["nameserver dns 127.0.0.11:53", "hold valid 5s", "hold nx 1s", "hold obsolete 0s", "accepted_payload_size 8192"]);
    expect(conf).not.toMatch(/retry-on [^\n]*(5\d\d|response-timeout|all-retryable|empty-response)/);
    // The monitor keeps no MCP session.
    expect(section("backend be_health-monitor").join("\n")).not.toMatch(/use-server|stick/);
    expect(section("frontend health-monitor").join("\n")).not.toContain("mcp-session-id");
  });

  it("rate-limits per client, tracks per-client counters, and serves metrics on the internal port only", () => {
    expect(conf).toContain("backend rl_gmail\n    stick-table type string len 128 size 100k expire 60s store http_req_rate(12600ms)");
    const f = section("frontend gmail");
    expect(f).toContain("http-request track-sc0 var(txn.rlkey) table rl_gmail");
    expect(f).toContain("http-request set-var(txn.deny) str(429) if !{ var(txn.deny) -m found } { sc_http_req_rate(0) gt 21 }");
    expect(f.find((l) => l.startsWith("http-request return status 429"))).toContain("hdr retry-after 1");
    // A response counts in one latency band (µs), not in every bucket above it.
    expect(f).toEqual(
      expect.arrayContaining([
        "http-after-response sc-inc-gpc(7,1) if { var(txn.latency) -m int 0:1000 }",
        "http-after-response sc-inc-gpc(8,1) if { var(txn.latency) -m int 1001:2500 }",
        "http-after-response sc-inc-gpc(18,1) if { var(txn.latency) -m int 2500001:10000000 }",
      ]),
    );
    expect(section("frontend metrics")).toEqual([
      "bind :9101",
      "no log",
      "http-request use-service prometheus-exporter if { path /metrics }",
      "http-request use-service lua.mcp_client_metrics if { path /metrics/clients }",
      "http-request return status 200 content-type text/plain string ok if { path /healthz }",
      "http-request return status 404",
    ]);
    expect(gatewayPorts(config).map((p) => p.internal)).not.toContain(9101);
  });

  it("keeps SSE streams open for streamTimeoutSeconds and lets old workers finish them after a reload", () => {
    expect(section("defaults")).toEqual(expect.arrayContaining(["timeout client 3600s", "timeout server 3600s", "option abortonclose"]));
    expect(section("global")).toContain("hard-stop-after 3600s");
    expect(conf).not.toMatch(/compression/);
  });

  it("differs from a loopback test's config only in addresses, paths and Docker's resolver", () => {
    const local = renderHaproxyCfg(model, { listenAddress: "127.0.0.1", confDir: "/x", runtimeDir: "/y" });
    const normalise = (s: string) => s.replaceAll(GATEWAY_CONF_DIR, "/x").replaceAll(" /tmp/", " /y/").replaceAll("bind :", "bind 127.0.0.1:").replace(/ resolvers docker[^\n]*/g, "").replace(/resolvers docker\n( {4}[^\n]*\n)+\n/, "");
    expect(normalise(conf)).toBe(local);
  });
});

describe("gateway workload", () => {
  const spec = gatewaySpec(config, inputs);

  it("runs HAProxy's official image as uid 99 on a read-only root with a tmpfs and no capability", () => {
    expect([spec.user, spec.readOnlyRootFilesystem, spec.tmpfs, spec.capAdd]).toEqual(["99:99", true, ["/tmp"], []]);
    expect(spec.entrypoint).toEqual(["/bin/sh", `${GATEWAY_CONF_DIR}/entrypoint.sh`]);
    expect(spec.healthcheck.test).toEqual(["CMD", "bash", `${GATEWAY_CONF_DIR}/healthcheck.sh`, "9101"]);
    expect(platformSchema.parse({}).gateway.image).toBe("haproxy:3.2");
  });

  it("gives it one config directory: the config, the scripts, the certificate (secret), issuer keys and key hashes", () => {
    expect(spec.files.map((f) => [f.path.replace(`${GATEWAY_CONF_DIR}/`, ""), f.secret])).toEqual([
      ["haproxy.cfg", false],
      ["entrypoint.sh", false],
      ["healthcheck.sh", false],
      ["metrics.lua", false],
      ["tls.pem", true],
      ["gmail-issuer-1.pem", false],
      ["gmail-issuer-2.pem", false],
      ["graphiti-api-keys.map", true],
      ["rag-api-keys.map", true],
      ["health-monitor-api-keys.map", true],
    ]);
    expect(spec.files[0]!.content).toBe(renderHaproxyCfg(model, containerTarget(config)));
  });

  it("changes only its files when a server is scaled or a limit changes: reloaded in place, never replaced", () => {
    const scaled = platformSchema.parse({ ...structuredClone(config), services: { ...config.services, gmail: { ...config.services.gmail, replicas: 5, rateLimitPerMinute: 10 } } });
    const other = gatewaySpec(scaled, inputs);
    const { files: a, ...restA } = spec;
    const { files: b, ...restB } = other;
    expect(restB).toEqual(restA);
    expect(b[0]!.content).not.toBe(a[0]!.content);
  });

  it("refuses to run with nothing to serve, or with TLS and no certificate", () => {
    const none = platformSchema.parse({ services: { gmail: { enabled: false }, graphiti: { enabled: false }, rag: { enabled: false } }, healthMonitor: { enabled: false } });
    expect(() => gatewaySpec(none, inputs)).toThrow(/nothing to serve/);
    expect(() => gatewaySpec(config, { ...inputs, tlsPem: undefined })).toThrow(/no certificate/);
  });

  it("makes the dev pair with openssl for the gateway's host, localhost and 127.0.0.1", () => {
    expect(selfSignedCommand("127.0.0.1")).toContain("-addext 'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:127.0.0.1'");
    expect(selfSignedCommand("mcp.local")).toContain("subjectAltName=DNS:mcp.local,");
  });
});

describe("gateway on a Swarm", () => {
  it("refuses a route's connections while none of its replicas is usable there, so clients go on to another node; on one host it answers 503", () => {
    const swarm = platformSchema.parse({ ...config, mode: "swarm", publishAddress: "0.0.0.0", gateway: { ...config.gateway, replicas: 2 } });
    const rendered = renderHaproxyCfg(gatewayModel(swarm), containerTarget(swarm));
    expect(rendered).toContain("tcp-request connection reject if { nbsrv(be_graphiti) eq 0 }");
    expect(rendered).toMatch(/default-server check .* init-state down /);
    expect(conf).not.toContain("tcp-request connection reject");
    expect(conf).not.toContain("init-state");
  });
});
