// The gateway's haproxy.cfg, written from the model for a place to run (the container, or a test on
// loopback), so tests change data, never the rendered text. Valid for HAProxy 3.2 (the LTS line prod pins).
import {
  metadataPath,
  metadataUrl,
  protectedResourceMetadata,
  rateLimitedBody,
  rateWindow,
  retryAfterSeconds,
  type GatewayModel,
  type GatewayRoute,
} from "./model";

export interface RenderTarget {
  // Address the routes bind to; omitted in the container (Docker binds the host side).
  listenAddress?: string;
  // Directory of the files the config names (certificate, issuer keys, API key hashes, metrics.lua).
  confDir: string;
  // Writable directory for the runtime API socket (a tmpfs in the container).
  runtimeDir: string;
  // Docker's DNS, asked again every validSeconds so a replaced replica (new address, same alias) is found.
  // Omitted: peers are addresses resolved once at start (the tests' loopback stubs).
  resolver?: { address: string; validSeconds: number };
  // On a Swarm, where a gateway runs on each of several nodes: a route none of whose replicas is usable
  // here refuses new connections before TLS, so the client (or its load balancer) goes on to another
  // node's gateway, as for a node without one. Seen in the three-node e2e: a gateway task just started by
  // an update answered 503 "No server is available" for a route whose replicas ran on other nodes, until
  // it had resolved and checked them. On one host there is no other gateway: the 503 tells the client.
  // With it, a server also starts DOWN until its first good check (init-state down), so a gateway just
  // started sends nothing to a replica it cannot reach yet. A Swarm gateway never reloads in place (its
  // config is immutable: a change is a new task); on one host a reload would mark every replica down.
  refuseWithoutReplicas?: boolean;
}

export const DOCKER_DNS = "127.0.0.11";

// The MCP headers of Streamable HTTP that browsers may read on a response.
export const MCP_EXPOSED_HEADERS = ["Mcp-Session-Id", "MCP-Protocol-Version"];

// Files next to haproxy.cfg, by name.
export const TLS_PEM = "tls.pem";
export const METRICS_LUA = "metrics.lua";
export const issuerKeyFile = (service: string, i: number) => `${service}-issuer-${i + 1}.pem`;
export const apiKeyMapFile = (service: string) => `${service}-api-keys.map`;
export const ADMIN_SOCKET = "admin.sock";
export const REPLICA_HEADER = "x-mcp-platform-replica";
export const TLS_TERMINATED_IN_FRONT = "# TLS is terminated in front of the gateway:";
// A token's aud list is searched for the route's URL in its first entries only.
export const AUDIENCE_LIST_MAX = 4;

// Latency histogram bounds (ms) for /metrics/clients.
export const LATENCY_BUCKETS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000];
// Per route and client counters, by index in the metrics table's gpc array (read back by metrics.lua).
export const COUNTERS = { "4xx": 0, "5xx": 1, "401": 2, "403": 3, "429": 4, count: 5, sumUs: 6, firstBucket: 7 } as const;

const TLS_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");
const TLS13_SUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// Single-quoted HAProxy string: nothing inside is interpreted, and a quote cannot appear.
function q(s: string): string {
  if (s.includes("'")) throw new Error(`cannot put a single quote into the gateway config: ${s}`);
  return `'${s}'`;
}
const indent = (lines: string[]) => lines.map((l) => (l ? `    ${l}` : l));
const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const backend = (r: GatewayRoute) => `be_${r.service}`;
// The route's servers, named like the replicas' aliases (gmail-1, ...).
const replicaNames = (r: Pick<GatewayRoute, "service" | "peers">) => r.peers.map((_, i) => `${r.service}-${i + 1}`);
const rateTable = (r: GatewayRoute) => `rl_${r.service}`;
export const metricsTable = (r: Pick<GatewayRoute, "service">) => `mx_${r.service}`;
export const tokenCacheTable = (r: Pick<GatewayRoute, "service">) => `jwt_${r.service}`;
// The token cache: tags per token hash, by index in its gpt array; its size and how long a verification holds.
export const TOKEN_CACHE = { ok: 0, exp: 1, nbf: 2, size: "20k", ttl: "5m" } as const;

function json(status: number, body: string, extra: string[] = []): string {
  return `return status ${status} content-type application/json ${extra.join(" ")}${extra.length ? " " : ""}string ${q(body)}`;
}

// WWW-Authenticate for a 401 or 403 (RFC 6750, RFC 9728 resource_metadata).
function challenge(route: GatewayRoute, error?: "invalid_token" | "insufficient_scope" | "invalid_request"): string[] {
  const a = route.auth;
  if (a.mode === "oauth") {
    const parts = [
      `resource_metadata="${metadataUrl(route)}"`,
      ...(a.scopes.length ? [`scope="${a.scopes.join(" ")}"`] : []),
      ...(error ? [`error="${error}"`] : []),
    ];
    return [`hdr www-authenticate ${q(`Bearer ${parts.join(", ")}`)}`];
  }
  const out = [`hdr www-authenticate ${q(`Bearer realm="${route.service}"${error ? `, error="${error}"` : ""}`)}`];
  // Browsers prompt for HTTP Basic (the key as password) on the dashboard.
  if (route.kind === "http") out.push(`hdr www-authenticate ${q(`Basic realm="${route.service}"`)}`);
  return out;
}

function authRules(route: GatewayRoute, confDir: string): string[] {
  const a = route.auth;
  if (a.mode === "none") return ["http-request set-var(txn.client) str(anonymous)"];
  if (a.mode === "apiKey") {
    const map = `${confDir}/${apiKeyMapFile(route.service)}`;
    return [
      // Only the SHA-256 of each key is here; the key a client sends is hashed and looked up.
      `http-request set-var(txn.client) http_auth_bearer,digest(sha256),hex,lower,map(${map})`,
      ...(route.kind === "http"
        ? [`http-request set-var(txn.client) http_auth_pass,digest(sha256),hex,lower,map(${map}) if { http_auth_type -m str -i basic }`]
        : []),
      "http-request set-var(txn.deny) str(401) if !{ var(txn.deny) -m found } !{ var(txn.client) -m found }",
    ];
  }
  const alg = a.algorithm;
  const cache = tokenCacheTable(route);
  const scopesOk = a.scopes.map((_, i) => `scope_${i}`);
  return [
    "http-request set-var(txn.bearer) http_auth_bearer",
    "acl has_token var(txn.bearer) -m found",
    // A token seen before whose signature, alg, iss, aud and scopes passed (they cannot change for the same
    // bytes): found by its SHA-256 in a stick table, so the RSA/ECDSA verification runs once per token, not
    // once per request. exp and nbf are kept with it and checked on every request.
    "http-request set-var(txn.tkey) var(txn.bearer),digest(sha256) if has_token",
    `http-request set-var(txn.cached) var(txn.tkey),table_gpt(${TOKEN_CACHE.ok},${cache}) if has_token`,
    "acl cached var(txn.cached) -m int 1",
    "acl alg_ok var(txn.bearer),jwt_header_query('$.alg') -m str " + alg,
    // One line per issuer key (old and new during a rotation): same-named ACLs are ORed.
    ...a.publicKeys.map((_, i) => `acl sig_ok var(txn.bearer),jwt_verify(${alg},${confDir}/${issuerKeyFile(route.service, i)}) -m int 1`),
    `acl iss_ok var(txn.bearer),jwt_payload_query('$.iss') -m str ${a.issuer}`,
    // aud as a string, or as a list (of up to AUDIENCE_LIST_MAX) that contains the route's canonical URL.
    `acl aud_ok var(txn.bearer),jwt_payload_query('$.aud') -m str ${a.audience}`,
    ...Array.from({ length: AUDIENCE_LIST_MAX }, (_, i) => `acl aud_ok var(txn.bearer),jwt_payload_query('$.aud[${i}]') -m str ${a.audience}`),
    "http-request set-var(txn.now) date",
    `http-request set-var(txn.exp) var(txn.tkey),table_gpt(${TOKEN_CACHE.exp},${cache}) if cached`,
    `http-request set-var(txn.nbf) var(txn.tkey),table_gpt(${TOKEN_CACHE.nbf},${cache}) if cached`,
    "http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('$.exp','int') if has_token !cached",
    // nbf is optional: 0 unless the token sets it.
    "http-request set-var(txn.nbf) int(0) if !cached",
    "http-request set-var(txn.nbf) var(txn.bearer),jwt_payload_query('$.nbf','int') if has_token !cached",
    "acl exp_ok var(txn.exp),sub(txn.now) -m int gt 0",
    // 60 s of clock skew between the issuer and this host.
    "acl nbf_ok var(txn.nbf),sub(txn.now) -m int le 60",
    "http-request set-var(txn.valid) bool(true) if has_token cached exp_ok nbf_ok",
    "http-request set-var(txn.valid) bool(true) if has_token !cached alg_ok iss_ok aud_ok exp_ok nbf_ok sig_ok",
    "acl valid var(txn.valid) -m bool",
    // The client: client_id (RFC 9068), else sub, from the payload decoded once.
    "http-request set-var(txn.claims) var(txn.bearer),field(2,.),ub64dec if valid",
    "http-request set-var(txn.client) str(token) if valid",
    "http-request set-var(txn.client) var(txn.claims),json_query('$.sub') if valid",
    "http-request set-var(txn.client) var(txn.claims),json_query('$.client_id') if valid",
    ...a.scopes.map((s, i) => `acl scope_${i} var(txn.bearer),jwt_payload_query('$.scope') -m reg ${q(`(^| )${regexEscape(s)}( |$)`)}`),
    "http-request set-var(txn.deny) str(401) if !{ var(txn.deny) -m found } !valid",
    ...(a.scopes.length
      ? [`http-request set-var(txn.deny) str(403scope) if ${a.scopes.map((_, i) => `!{ var(txn.deny) -m found } valid !cached !scope_${i}`).join(" || ")}`]
      : []),
    // Remember a token that passed every check but time (exp must fit the table's 32-bit tag).
    `http-request track-sc2 var(txn.tkey) table ${cache} if ${["valid", "!cached", ...scopesOk, "{ var(txn.exp) -m int lt 4294967296 }", "{ var(txn.nbf) -m int ge 0 }"].join(" ")}`,
    `http-request sc-set-gpt(${TOKEN_CACHE.exp},2) var(txn.exp) if { sc_tracked(2) }`,
    `http-request sc-set-gpt(${TOKEN_CACHE.nbf},2) var(txn.nbf) if { sc_tracked(2) }`,
    `http-request sc-set-gpt(${TOKEN_CACHE.ok},2) 1 if { sc_tracked(2) }`,
    "http-request unset-var(txn.bearer)",
    "http-request unset-var(txn.claims)",
  ];
}

// Counters for /metrics/clients: per route and authenticated client, kept in a stick table.
function metricRules(): string[] {
  const c = COUNTERS;
  return [
    `http-after-response sc-inc-gpc(${c.count},1)`,
    `http-after-response sc-inc-gpc(${c["4xx"]},1) if { status 400:499 }`,
    `http-after-response sc-inc-gpc(${c["5xx"]},1) if { status 500:599 }`,
    `http-after-response sc-inc-gpc(${c["401"]},1) if { status 401 }`,
    `http-after-response sc-inc-gpc(${c["403"]},1) if { status 403 }`,
    `http-after-response sc-inc-gpc(${c["429"]},1) if { status 429 }`,
    // Time from the request's arrival to its response headers, in µs.
    "http-after-response set-var(txn.latency) date(0,us),sub(txn.t0)",
    `http-after-response sc-add-gpc(${c.sumUs},1) var(txn.latency)`,
    // One counter per latency band (le of its bucket, above the one before), so that a response increments
    // one, not every bucket above it; metrics.lua adds them up into Prometheus's cumulative buckets.
    ...LATENCY_BUCKETS_MS.map((ms, i) => {
      const lo = i === 0 ? 0 : Math.round(LATENCY_BUCKETS_MS[i - 1]! * 1000) + 1;
      return `http-after-response sc-inc-gpc(${c.firstBucket + i},1) if { var(txn.latency) -m int ${lo}:${Math.round(ms * 1000)} }`;
    }),
  ];
}

function frontend(route: GatewayRoute, model: GatewayModel, target: RenderTarget): string[] {
  const bind = `${target.listenAddress ?? ""}:${route.listenPort}`;
  const tls = model.tls ? ` ssl crt ${target.confDir}/${TLS_PEM} alpn h2,http/1.1` : "";
  const { allowed } = rateWindow(route);
  const origins = [...new Set([route.origin, ...model.allowedOrigins])];
  const maxBody = model.tuning.maxRequestBodyMb * 1024 * 1024;
  const lines: string[] = [
    `bind ${bind}${tls}`,
    ...(target.refuseWithoutReplicas ? [`tcp-request connection reject if { nbsrv(${backend(route)}) eq 0 }`] : []),
    `log-format ${q(accessLogFormat(route))}`,
    "http-request set-var(txn.t0) date(0,us)",
    "http-request set-var(txn.path) path",
    "http-request set-var(txn.pv) req.hdr(mcp-protocol-version)",
    // The gateway's own liveness, answered before anything else.
    "http-request return status 200 content-type text/plain string ok if { path /healthz }",
  ];
  if (route.kind === "mcp" && route.auth.mode === "oauth") {
    // RFC 9728 metadata at the path-aware well-known URL, and at the root one some clients try first.
    const body = JSON.stringify(protectedResourceMetadata(route));
    lines.push(`http-request ${json(200, body, ["hdr access-control-allow-origin '*'"])} if { path ${metadataPath(route)} } || { path /.well-known/oauth-protected-resource }`);
  }
  lines.push(
    // Every decision is taken first and answered after the counters are tracked, so that denials are counted.
    `acl origin_ok req.hdr(origin) -m str ${origins.join(" ")}`,
    "http-request set-var(txn.deny) str(403origin) if { req.hdr(origin) -m found } !origin_ok",
    // Bearer tokens go in the Authorization header only (OAuth 2.1): never in a URL, where logs keep them.
    "http-request set-var(txn.deny) str(400query) if !{ var(txn.deny) -m found } { url_param(access_token) -m found }",
  );
  if (route.kind === "mcp") {
    lines.push(
      // A session id names its replica (set on the way out, below): the replica is kept for the backend's
      // use-server, and the replica gets back the id it made. An id that names no replica of this route is
      // passed on untouched (its replica's own 404 sends the client to initialize again).
      `http-request set-var(txn.sid_replica) req.hdr(mcp-session-id),field(1,.) if { req.hdr(mcp-session-id) -m found }`,
      `http-request unset-var(txn.sid_replica) if !{ var(txn.sid_replica) -m str ${replicaNames(route).join(" ")} }`,
      `http-request set-header mcp-session-id %[req.hdr(mcp-session-id),field(2,.,0)] if { var(txn.sid_replica) -m found }`,
    );
    const paths = [route.mcpPath!, ...(route.healthPath && route.healthPath !== route.mcpPath ? [route.healthPath] : [])];
    lines.push(`http-request set-var(txn.deny) str(404) if !{ var(txn.deny) -m found } !{ path ${paths.join(" ")} }`);
  }
  // The health path is served without authentication, rate-limited per address like the rest.
  const health = route.healthPath !== undefined && route.healthPath !== route.mcpPath;
  if (health) lines.push(`acl is_health path ${route.healthPath}`);
  const auth = authRules(route, target.confDir);
  lines.push(...(health ? auth.map((l) => (l.startsWith("http-request set-var(txn.deny)") ? `${l} !is_health` : l)) : auth));
  lines.push(
    // Rate limit: per authenticated client, or per address when there is none yet.
    "http-request set-var(txn.rlkey) src,concat(ip:)",
    "http-request set-var(txn.rlkey) var(txn.client) if { var(txn.client) -m found }",
    `http-request track-sc0 var(txn.rlkey) table ${rateTable(route)}`,
    "http-request set-var(txn.mkey) str(unauthenticated)",
    "http-request set-var(txn.mkey) var(txn.client) if { var(txn.client) -m found }",
    `http-request track-sc1 var(txn.mkey) table ${metricsTable(route)}`,
    `http-request set-var(txn.deny) str(429) if !{ var(txn.deny) -m found } { sc_http_req_rate(0) gt ${allowed} }`,
    `http-request set-var(txn.deny) str(413) if !{ var(txn.deny) -m found } { req.hdr_val(content-length) gt ${maxBody} }`,
    `http-request ${json(403, JSON.stringify({ error: "forbidden: this Origin is not allowed (gateway.allowedOrigins)" }))} if { var(txn.deny) -m str 403origin }`,
    `http-request ${json(400, JSON.stringify({ error: "invalid_request", error_description: "access tokens are accepted in the Authorization header only" }), challenge(route, "invalid_request"))} if { var(txn.deny) -m str 400query }`,
  );
  if (route.kind === "mcp")
    lines.push(
      `http-request ${json(404, JSON.stringify({ error: `not found: the MCP endpoint of ${route.service} is ${route.mcpPath}` }))} if { var(txn.deny) -m str 404 }`,
    );
  if (route.auth.mode !== "none") {
    lines.push(
      `http-request ${json(401, JSON.stringify({ error: "invalid_token", error_description: "a valid access token is required" }), challenge(route, "invalid_token"))} if { var(txn.deny) -m str 401 }`,
    );
    if (route.auth.scopes.length)
      lines.push(
        `http-request ${json(403, JSON.stringify({ error: "insufficient_scope", error_description: `requires scope ${route.auth.scopes.join(" ")}` }), challenge(route, "insufficient_scope"))} if { var(txn.deny) -m str 403scope }`,
      );
  }
  lines.push(
    `http-request ${json(429, rateLimitedBody(route), [`hdr retry-after ${retryAfterSeconds(route.rateLimitPerMinute)}`])} if { var(txn.deny) -m str 429 }`,
    `http-request ${json(413, JSON.stringify({ error: `request body larger than ${model.tuning.maxRequestBodyMb} MB` }))} if { var(txn.deny) -m str 413 }`,
    // Never pass a client's credentials upstream.
    "http-request del-header authorization",
    "http-request del-header proxy-authorization",
    `http-request set-header x-forwarded-proto ${model.tls ? "https" : "http"}`,
    ...metricRules(),
  );
  if (model.tls && model.hstsMaxAgeSeconds > 0) lines.push(`http-after-response set-header strict-transport-security "max-age=${model.hstsMaxAgeSeconds}"`);
  if (route.kind === "mcp")
    lines.push(
      `http-after-response set-header access-control-expose-headers ${q(MCP_EXPOSED_HEADERS.join(", "))}`,
      // Which replica answered (its alias): the verification checks that a session stays on one.
      `http-response set-header ${REPLICA_HEADER} %[srv_name]`,
      // The session id clients see names the replica that holds it: <replica>.<the replica's id>.
      `http-response set-header mcp-session-id %[srv_name].%[res.hdr(mcp-session-id)] if { res.hdr(mcp-session-id) -m found }`,
    );
  lines.push(`default_backend ${backend(route)}`);
  return [`frontend ${route.service}`, ...indent(lines)];
}

function backendSection(route: GatewayRoute, model: GatewayModel, target: RenderTarget): string[] {
  const t = model.tuning;
  const resolve = target.resolver ? " resolvers docker init-addr last,libc,none resolve-prefer ipv4" : "";
  const lines: string[] = [
    // Requests without a session (initialize; the 2026-07-28 revision has no sessions) go to any healthy replica.
    "balance roundrobin",
  ];
  if (route.kind === "mcp")
    lines.push(
      // A 2025-11-25 session lives in the replica that answered initialize; its id, as the client holds it,
      // starts with that replica's name (see the frontend). Routing by the id itself keeps no state here, so
      // a reload, a restart of the gateway or another gateway (one per Swarm node) routes it the same. A
      // replica that is down (or gone) is skipped: the request goes to another, whose 404 makes the client
      // initialize again.
      ...replicaNames(route).map((n) => `use-server ${n} if { var(txn.sid_replica) -m str ${n} }`),
    );
  if (route.healthPath)
    lines.push(
      // Active health: the replica's own health route. A replica that is stopped answers 503 (or nothing)
      // while it drains, and leaves the rotation before it stops listening.
      `option httpchk GET ${route.healthPath}`,
      "http-check expect status 200",
      // A busy replica may answer a check late; only an answer that is not 200, or none within the connect
      // timeout, counts as failed.
      `timeout check ${t.connectTimeoutSeconds}s`,
    );
  lines.push(
    // Retry on another replica only when the connection failed: a request a replica received is never re-sent.
    "retries 2",
    "retry-on conn-failure",
    "option redispatch 1",
    "option forwardfor",
    "http-reuse safe",
    // Health: checked every failTimeoutSeconds, out after maxFails failed checks or consecutive failed
    // connections (a 5xx is the server's own answer, passed on), back after one good check.
    `default-server check inter ${t.failTimeoutSeconds}s fall ${t.maxFails} rise 1 observe layer4 error-limit ${t.maxFails} on-error mark-down${target.refuseWithoutReplicas ? " init-state down" : ""} pool-max-conn ${t.keepaliveConnections}${resolve}`,
    // Named like the replicas' aliases (gmail-1, ...), whatever address a test gives them: the access log's upstream.
    ...route.peers.map((p, i) => `server ${replicaNames(route)[i]} ${p}`),
  );
  return [`backend ${backend(route)}`, ...indent(lines)];
}

function accessLogFormat(route: GatewayRoute): string {
  // JSON; the client is the authenticated one, never its token; the path has no query string.
  const fields: [string, string][] = [
    ["time", '"%tr"'],
    ["service", `"${route.service}"`],
    ["client", '"%[var(txn.client),json(utf8s)]"'],
    ["address", '"%ci"'],
    ["method", '"%HM"'],
    ["path", '"%[var(txn.path),json(utf8s)]"'],
    ["status", "%ST"],
    ["bytes", "%B"],
    ["duration_ms", "%Ta"],
    ["upstream", '"%s"'],
    ["upstream_ms", "%Tr"],
    ["termination", '"%tsc"'],
    ["denied", '"%[var(txn.deny)]"'],
    ["mcp_protocol_version", '"%[var(txn.pv),json(utf8s)]"'],
  ];
  return `{${fields.map(([k, v]) => `"${k}":${v}`).join(",")}}`;
}

export function renderHaproxyCfg(model: GatewayModel, target: RenderTarget): string {
  const t = model.tuning;
  const run = target.runtimeDir.replace(/\/$/, "");
  const stream = `${t.streamTimeoutSeconds}s`;
  const lines: string[] = [
    "# Rendered by mcp-platform (components/gateway/haproxy-cfg.ts) from the stack configuration. Do not edit.",
    // Read by the policy pack (published-routes-tls-auth): plain HTTP on the routes, declared.
    ...(model.tlsTerminatedBy ? [`${TLS_TERMINATED_IN_FRONT} ${model.tlsTerminatedBy.replace(/\s+/g, " ")}`] : []),
    "global",
    ...indent([
      `nbthread ${model.threads}`,
      // Access log lines to stdout (the container's log), as JSON.
      "log stdout format raw local0 info",
      // The runtime API: /metrics/clients reads the counters through it; `expose-fd listeners` lets a
      // reload take over the listening sockets without refusing a connection.
      `stats socket ${run}/${ADMIN_SOCKET} mode 600 level admin expose-fd listeners`,
      // Lua booleans as booleans (the 3.1+ behaviour); must come before lua-load.
      "tune.lua.bool-sample-conversion normal",
      `lua-load ${target.confDir}/${METRICS_LUA} ${run}/${ADMIN_SOCKET} ${LATENCY_BUCKETS_MS.join(",")} ${model.routes.map(metricsTable).join(" ")}`,
      "tune.stick-counters 3",
      `ssl-default-bind-ciphers ${TLS_CIPHERS}`,
      `ssl-default-bind-ciphersuites ${TLS13_SUITES}`,
      "ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets",
      // Old workers keep serving their open streams after a reload, up to the stream timeout.
      `hard-stop-after ${stream}`,
    ]),
    "",
    ...(target.resolver
      ? [
          "resolvers docker",
          ...indent([
            `nameserver dns ${target.resolver.address}:53`,
            `hold valid ${target.resolver.validSeconds}s`,
            // A replica being replaced has no address for a moment: ask again soon, so its successor (same
            // alias, new address) is in rotation before the next replica is replaced. Timeouts keep the
            // default 30 s: a restarting Docker daemon does not answer for a while, and the addresses hold.
            "hold nx 1s",
            // An address gone from the answer is a task Swarm is stopping (it leaves DNS first): drop it at
            // once. Held 30 s, the replica stayed on its old task's address after that task stopped, down
            // for 23 s on the three-node Swarm while its successor served; the next replica's update then
            // left the gateway with neither.
            "hold obsolete 0s",
            "accepted_payload_size 8192",
          ]),
          "",
        ]
      : []),
    "defaults",
    ...indent([
      "mode http",
      "log global",
      "option dontlognull",
      // A client that goes away closes the replica's connection too: in 2026-07-28, closing the stream
      // is the cancellation.
      "option abortonclose",
      // On a reload an old worker keeps a client's idle keep-alive connection until its next request and
      // closes it with that answer, instead of closing it idle: a client that sent a request just as it
      // was closed got a reset (1 request in 4711 in the scaling drill).
      "option idle-close-on-response",
      `timeout connect ${t.connectTimeoutSeconds}s`,
      `timeout queue ${t.connectTimeoutSeconds}s`,
      // SSE streams may stay silent this long, both ways.
      `timeout client ${stream}`,
      `timeout server ${stream}`,
      `timeout tunnel ${stream}`,
      "timeout http-request 10s",
      "timeout http-keep-alive 75s",
      "timeout client-fin 30s",
    ]),
    "",
  ];
  for (const route of model.routes) {
    const { periodMs } = rateWindow(route);
    lines.push(
      `backend ${rateTable(route)}`,
      ...indent([`stick-table type string len 128 size 100k expire ${Math.max(60, Math.ceil(periodMs / 1000) * 2)}s store http_req_rate(${periodMs}ms)`]),
      "",
      ...(route.auth.mode === "oauth"
        ? [`backend ${tokenCacheTable(route)}`, ...indent([`stick-table type binary len 32 size ${TOKEN_CACHE.size} expire ${TOKEN_CACHE.ttl} store gpt(3)`]), ""]
        : []),
      `backend ${metricsTable(route)}`,
      ...indent([`stick-table type string len 128 size 10k expire 24h store gpc(${COUNTERS.firstBucket + LATENCY_BUCKETS_MS.length})`]),
      "",
      ...frontend(route, model, target),
      "",
      ...backendSection(route, model, target),
      "",
    );
  }
  lines.push(
    // Internal only (not published): Prometheus metrics, per route and client counters, and the liveness
    // the container's healthcheck asks.
    "frontend metrics",
    ...indent([
      `bind ${target.listenAddress ?? ""}:${t.metricsPort}`,
      "no log",
      "http-request use-service prometheus-exporter if { path /metrics }",
      "http-request use-service lua.mcp_client_metrics if { path /metrics/clients }",
      "http-request return status 200 content-type text/plain string ok if { path /healthz }",
      "http-request return status 404",
    ]),
    "",
  );
  return lines.map((l) => l.trimEnd()).join("\n");
}

// The apiKey map: "<sha256 hex of the key> <client>" per line; no key is ever written.
export function renderApiKeyMap(entries: { client: string; sha256: string }[]): string {
  return entries.map((e) => `${e.sha256} ${e.client}\n`).join("");
}
