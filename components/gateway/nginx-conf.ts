// The gateway's nginx.conf, rendered from the validated configuration by pure functions:
// gatewayModel() decides what to serve (routes, replicas, limits), renderNginxConf() writes it out for
// a place to run (the container, or a test on loopback), so tests change data, never the rendered text.
import { publishedPortClaims, type GatewayConfig, type PlatformConfig } from "../config/schema";
import { replicaAlias } from "../container/spec";
import { MONITOR_ALIAS } from "../health-monitor/spec";

export interface GatewayRoute {
  // Service name: upstream, rate-limit zone and the `service` field of the access log.
  service: string;
  // Port the gateway listens on (inside the container it equals the published host port).
  listenPort: number;
  // mcp: only the server's exact MCP path and its health path are proxied, with streaming settings.
  // http: everything is proxied (the health monitor's dashboard, API and WebSocket).
  kind: "mcp" | "http";
  mcpPath?: string;
  healthPath?: string;
  // host:port of each replica, by its own alias, in replica order (on one host and on a Swarm alike).
  peers: string[];
  rateLimitPerMinute: number;
  rateLimitBurst: number;
}

export type GatewayTuning = Pick<
  GatewayConfig,
  "keepaliveConnections" | "connectTimeoutSeconds" | "streamTimeoutSeconds" | "maxFails" | "failTimeoutSeconds" | "maxRequestBodyMb"
>;

export interface GatewayModel {
  routes: GatewayRoute[];
  tuning: GatewayTuning;
  workerProcesses: number;
}

// Where the rendered config runs.
export interface RenderTarget {
  // Address the server blocks listen on; omitted in the container (Docker binds the host side).
  listenAddress?: string;
  // Docker's DNS, asked again every validSeconds so a replaced replica (new address, same alias) is found.
  // Needs nginx >= 1.27.3 (`resolve` on upstream servers). Omitted: peers are resolved once at start,
  // which is what nginx < 1.27.3 (Debian's 1.22, used by the tests) can do, and all a test with fixed
  // loopback peers needs.
  resolver?: { address: string; validSeconds: number };
  // Writable directory for the pid file and temp files (a tmpfs in the container).
  runtimeDir: string;
  accessLog: string;
  errorLog: string;
}

export const GATEWAY_RUNTIME_DIR = "/tmp";
export const DOCKER_DNS = "127.0.0.11";

export function containerTarget(dnsValidSeconds: number): RenderTarget {
  return {
    resolver: { address: DOCKER_DNS, validSeconds: dnsValidSeconds },
    runtimeDir: GATEWAY_RUNTIME_DIR,
    accessLog: "/dev/stdout",
    errorLog: "stderr",
  };
}

// The MCP headers of Streamable HTTP (spec 2025-06-18) that browsers may read on a response.
export const MCP_EXPOSED_HEADERS = ["Mcp-Session-Id", "MCP-Protocol-Version"];

// What the gateway serves: one route per host port of publishedPortClaims, so the two cannot drift apart.
export function gatewayModel(c: PlatformConfig): GatewayModel {
  const routes: GatewayRoute[] = [];
  for (const [port, key] of publishedPortClaims(c)) {
    const name = /^services\.([^.]+)\.publishedPort$/.exec(key)?.[1];
    if (name) {
      const s = c.services[name]!;
      routes.push({
        service: name,
        listenPort: port,
        kind: "mcp",
        mcpPath: s.path,
        healthPath: s.healthPath,
        peers: Array.from({ length: s.replicas }, (_, i) => `${replicaAlias(name, i + 1)}:${s.port}`),
        rateLimitPerMinute: s.rateLimitPerMinute,
        rateLimitBurst: s.rateLimitBurst,
      });
    } else if (key === "healthMonitor.publishedPort") {
      const m = c.healthMonitor;
      routes.push({
        service: MONITOR_ALIAS,
        listenPort: port,
        kind: "http",
        peers: [`${MONITOR_ALIAS}:${m.port}`],
        rateLimitPerMinute: m.rateLimitPerMinute,
        rateLimitBurst: m.rateLimitBurst,
      });
    } else {
      throw new Error(`the gateway does not know how to serve ${key}`);
    }
  }
  const g = c.gateway;
  return {
    routes,
    tuning: {
      keepaliveConnections: g.keepaliveConnections,
      connectTimeoutSeconds: g.connectTimeoutSeconds,
      streamTimeoutSeconds: g.streamTimeoutSeconds,
      maxFails: g.maxFails,
      failTimeoutSeconds: g.failTimeoutSeconds,
      maxRequestBodyMb: g.maxRequestBodyMb,
    },
    // One worker per CPU the container may use; limit_req and peer state are shared through zones.
    workerProcesses: Math.max(1, Math.ceil(g.cpus)),
  };
}

// Seconds until a client over the limit may expect a free slot: one request's worth of the rate.
export function retryAfterSeconds(ratePerMinute: number): number {
  return Math.max(1, Math.ceil(60 / ratePerMinute));
}

export function rateLimitedBody(route: Pick<GatewayRoute, "service" | "rateLimitPerMinute">): string {
  // A JSON-RPC error, so an MCP client shows the reason instead of failing to parse the body.
  return JSON.stringify({
    jsonrpc: "2.0",
    id: null,
    error: {
      code: -32000,
      message: `rate limit exceeded: ${route.service} allows ${route.rateLimitPerMinute} requests per minute per client; retry after ${retryAfterSeconds(route.rateLimitPerMinute)} s`,
    },
  });
}

const upstreamName = (service: string) => `${service}-replicas`;
const limitZone = (service: string) => `limit-${service}`;
const quote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
const indent = (lines: string[], by = "    ") => lines.map((l) => (l ? by + l : l));

function upstreamBlock(route: GatewayRoute, model: GatewayModel, target: RenderTarget): string[] {
  const t = model.tuning;
  const resolve = target.resolver ? " resolve" : "";
  return [
    `upstream ${upstreamName(route.service)} {`,
    ...indent([
      // Peer state (failures, resolved addresses) shared by all workers; `resolve` requires it.
      `zone upstream-${route.service} 64k;`,
      // Affinity on the full client address: an MCP session lives in one replica's memory, and its
      // first request (initialize) carries no Mcp-Session-Id to hash on. Consistent hashing keys on
      // the replicas' names, so every gateway (one per Swarm node) sends a client to the same replica,
      // and a replaced replica keeps its clients. (ip_hash would use only the first three octets of an
      // IPv4 address and put a whole /24 on one replica.)
      "hash $remote_addr consistent;",
      ...route.peers.map((p) => `server ${p} max_fails=${t.maxFails} fail_timeout=${t.failTimeoutSeconds}s${resolve};`),
      // Must follow the balancing method.
      `keepalive ${t.keepaliveConnections};`,
      "keepalive_timeout 60s;",
    ]),
    "}",
  ];
}

// Proxy settings every location of a server block inherits (a location that sets none of its own).
function proxySettings(model: GatewayModel): string[] {
  const t = model.tuning;
  return [
    // HTTP/1.1 with an empty Connection header: keepalive to the replicas, and chunked SSE responses.
    "proxy_http_version 1.1;",
    "proxy_set_header Connection $connection_upgrade;",
    "proxy_set_header Upgrade $http_upgrade;",
    "proxy_set_header Host $host;",
    "proxy_set_header X-Real-IP $remote_addr;",
    "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "proxy_set_header X-Forwarded-Proto $scheme;",
    `proxy_connect_timeout ${t.connectTimeoutSeconds}s;`,
    // Retry on the next replica only when nothing reached the first one: a connection error or a
    // connect timeout. nginx never re-sends a POST that a replica already received (no non_idempotent).
    "proxy_next_upstream error timeout;",
    "proxy_next_upstream_tries 3;",
    `proxy_next_upstream_timeout ${t.connectTimeoutSeconds * 2}s;`,
  ];
}

// Streamable HTTP: SSE events go to the client as they come, uncompressed, and a stream may stay quiet
// for a long time.
function streaming(model: GatewayModel): string[] {
  const t = model.tuning;
  return [
    "proxy_buffering off;",
    "proxy_cache off;",
    "gzip off;",
    `proxy_read_timeout ${t.streamTimeoutSeconds}s;`,
    `proxy_send_timeout ${t.streamTimeoutSeconds}s;`,
  ];
}

function mcpLocation(route: GatewayRoute, model: GatewayModel): string[] {
  return [
    `location = ${route.mcpPath} {`,
    ...indent([
      `proxy_pass http://${upstreamName(route.service)};`,
      ...streaming(model),
      // The MCP request headers (Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID) pass unchanged, as
      // nginx forwards every request header; the response's are readable by browser clients too.
      "proxy_hide_header Access-Control-Expose-Headers;",
      `add_header Access-Control-Expose-Headers ${quote(MCP_EXPOSED_HEADERS.join(", "))} always;`,
    ]),
    "}",
  ];
}

function serverBlock(route: GatewayRoute, model: GatewayModel, target: RenderTarget): string[] {
  const listen = target.listenAddress ? `${target.listenAddress}:${route.listenPort}` : String(route.listenPort);
  const retryAfter = retryAfterSeconds(route.rateLimitPerMinute);
  const locations: string[] = [];
  if (route.kind === "mcp") {
    locations.push(...mcpLocation(route, model));
    if (route.healthPath && route.healthPath !== route.mcpPath)
      locations.push(
        `location = ${route.healthPath} {`,
        ...indent([`proxy_pass http://${upstreamName(route.service)};`, `proxy_read_timeout ${model.tuning.connectTimeoutSeconds * 2}s;`]),
        "}",
      );
    locations.push(
      "location / {",
      ...indent([
        "default_type application/json;",
        `return 404 ${quote(JSON.stringify({ error: `not found: the MCP endpoint of ${route.service} is ${route.mcpPath}` }))};`,
      ]),
      "}",
    );
  } else {
    // Dashboard, API and the dashboard's WebSocket (Upgrade passes through).
    locations.push(
      "location / {",
      ...indent([`proxy_pass http://${upstreamName(route.service)};`, ...streaming(model)]),
      "}",
    );
  }
  return [
    "server {",
    ...indent([
      `listen ${listen};`,
      `set $gateway_service ${route.service};`,
      `client_max_body_size ${model.tuning.maxRequestBodyMb}m;`,
      // Per client address, with a burst served at once; beyond it, 429 with a JSON body and Retry-After.
      `limit_req zone=${limitZone(route.service)} burst=${route.rateLimitBurst} nodelay;`,
      "error_page 429 @rate-limited;",
      ...proxySettings(model),
      "",
      // The gateway's own liveness, answered before the rate limit and never proxied.
      "location = /healthz {",
      ...indent(["access_log off;", "default_type text/plain;", "return 200 'ok\\n';"]),
      "}",
      ...locations,
      "location @rate-limited {",
      ...indent([
        "default_type application/json;",
        `add_header Retry-After ${retryAfter} always;`,
        `return 429 ${quote(rateLimitedBody(route))};`,
      ]),
      "}",
    ]),
    "}",
  ];
}

const ACCESS_LOG_FIELDS: [string, string][] = [
  ["time", "$time_iso8601"],
  ["service", "$gateway_service"],
  ["client", "$remote_addr"],
  ["method", "$request_method"],
  // $uri, not $request_uri: query strings may carry tokens. Session ids are not logged either.
  ["path", "$uri"],
  ["status", "$status"],
  ["bytes", "$body_bytes_sent"],
  ["duration", "$request_time"],
  ["upstream", "$upstream_addr"],
  ["upstream_status", "$upstream_status"],
  ["upstream_duration", "$upstream_response_time"],
  // PASSED, DELAYED or REJECTED: how to find rate-limit rejections.
  ["rate_limit", "$limit_req_status"],
  ["mcp_protocol_version", "$http_mcp_protocol_version"],
];

export function renderNginxConf(model: GatewayModel, target: RenderTarget): string {
  const run = target.runtimeDir.replace(/\/$/, "");
  const logFormat = `{${ACCESS_LOG_FIELDS.map(([k, v]) => `"${k}":"${v}"`).join(",")}}`;
  const lines = [
    "# Rendered by mcp-platform (components/gateway/nginx-conf.ts) from the stack configuration. Do not edit.",
    "daemon off;",
    `worker_processes ${model.workerProcesses};`,
    `pid ${run}/nginx.pid;`,
    `error_log ${target.errorLog} warn;`,
    "",
    "events {",
    "    worker_connections 4096;",
    "}",
    "",
    "http {",
    ...indent([
      // Everything nginx writes goes to the runtime directory: the root filesystem is read-only.
      `client_body_temp_path ${run}/client_body;`,
      `proxy_temp_path ${run}/proxy;`,
      `fastcgi_temp_path ${run}/fastcgi;`,
      `uwsgi_temp_path ${run}/uwsgi;`,
      `scgi_temp_path ${run}/scgi;`,
      "",
      "default_type application/octet-stream;",
      "server_tokens off;",
      "gzip off;",
      "keepalive_timeout 75s;",
      `log_format json escape=json ${quote(logFormat)};`,
      `access_log ${target.accessLog} json;`,
      ...(target.resolver
        ? [`resolver ${target.resolver.address} valid=${target.resolver.validSeconds}s ipv6=off;`, "resolver_timeout 5s;"]
        : []),
      "",
      // WebSocket upgrades keep their Upgrade; every other request gets an empty Connection header,
      // which upstream keepalive needs.
      "map $http_upgrade $connection_upgrade {",
      "    default upgrade;",
      "    '' '';",
      "}",
      "",
      "limit_req_status 429;",
      "limit_req_log_level warn;",
      ...model.routes.map(
        (r) => `limit_req_zone $binary_remote_addr zone=${limitZone(r.service)}:10m rate=${r.rateLimitPerMinute}r/m;`,
      ),
      "",
      ...model.routes.flatMap((r) => [...upstreamBlock(r, model, target), ""]),
      ...model.routes.flatMap((r, i) => [...(i ? [""] : []), ...serverBlock(r, model, target)]),
    ]),
    "}",
    "",
  ];
  return lines.map((l) => l.trimEnd()).join("\n").replace(/\n{3,}/g, "\n\n");
}
