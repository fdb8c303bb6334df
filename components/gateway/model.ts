// What the gateway serves, decided from the validated configuration by pure functions: routes, their
// replicas, limits, authentication and the files HAProxy reads. haproxy-cfg.ts writes it out.
import { isLoopback, publishedPortClaims, type AuthConfig, type GatewayConfig, type PlatformConfig } from "../config/schema";
import { replicaAlias } from "../container/spec";
import { MONITOR_ALIAS } from "../health-monitor/spec";
import { publicHost } from "../platform/urls";

export interface RouteAuth {
  mode: AuthConfig["mode"];
  // oauth
  issuer?: string;
  algorithm: AuthConfig["algorithm"];
  publicKeys: string[];
  audience: string;
  scopes: string[];
  // apiKey
  clients: string[];
}

export interface GatewayRoute {
  // Service name: backend, tables and the `service` field of the access log.
  service: string;
  // Port the gateway listens on (inside the container it equals the published host port).
  listenPort: number;
  // mcp: only the server's exact MCP path, its health path and the OAuth metadata are served.
  // http: everything is proxied (the health monitor's dashboard, API and WebSocket).
  kind: "mcp" | "http";
  mcpPath?: string;
  healthPath?: string;
  // host:port of each replica, by its own alias, in replica order (on one host and on a Swarm alike).
  peers: string[];
  rateLimitPerMinute: number;
  rateLimitBurst: number;
  auth: RouteAuth;
  // Where clients reach the route: scheme://host:port, and the MCP endpoint's canonical URL (RFC 8707).
  origin: string;
  resource: string;
}

export type GatewayTuning = Pick<
  GatewayConfig,
  | "keepaliveConnections"
  | "connectTimeoutSeconds"
  | "streamTimeoutSeconds"
  | "maxFails"
  | "failTimeoutSeconds"
  | "maxRequestBodyMb"
  | "metricsPort"
>;

export interface GatewayModel {
  routes: GatewayRoute[];
  tuning: GatewayTuning;
  // TLS on the routes' ports (a certificate file), or plain HTTP (loopback dev, or TLS ended in front).
  tls: boolean;
  // Plain HTTP because a load balancer in front terminates TLS (gateway.tls.terminatedBy.reason).
  tlsTerminatedBy?: string;
  hstsMaxAgeSeconds: number;
  allowedOrigins: string[];
  threads: number;
}

// What the platform's URLs say: https when the gateway or a load balancer in front terminates TLS.
export function routeScheme(c: PlatformConfig): "https" | "http" {
  const t = c.gateway.tls;
  return t.certificate || t.selfSigned || t.terminatedBy ? "https" : "http";
}

export function gatewayHost(c: PlatformConfig): string {
  return c.gateway.publicHost ?? publicHost(c.publishAddress, c.dockerHost);
}

function routeAuth(a: AuthConfig, resource: string): RouteAuth {
  return {
    mode: a.mode,
    issuer: a.issuer,
    algorithm: a.algorithm,
    publicKeys: a.publicKeys.map((k) => `${k.trim()}\n`),
    audience: a.audience ?? resource,
    scopes: a.scopes,
    clients: a.clients,
  };
}

// One route per host port of publishedPortClaims, so the two cannot drift apart.
export function gatewayModel(c: PlatformConfig): GatewayModel {
  const scheme = routeScheme(c);
  const host = gatewayHost(c);
  const routes: GatewayRoute[] = [];
  for (const [port, key] of publishedPortClaims(c)) {
    const origin = `${scheme}://${host}:${port}`;
    const name = /^services\.([^.]+)\.publishedPort$/.exec(key)?.[1];
    if (name) {
      const s = c.services[name]!;
      const resource = `${origin}${s.path}`;
      routes.push({
        service: name,
        listenPort: port,
        kind: "mcp",
        mcpPath: s.path,
        healthPath: s.healthPath,
        peers: Array.from({ length: s.replicas }, (_, i) => `${replicaAlias(name, i + 1)}:${s.port}`),
        rateLimitPerMinute: s.rateLimitPerMinute,
        rateLimitBurst: s.rateLimitBurst,
        auth: routeAuth(s.auth, resource),
        origin,
        resource,
      });
    } else if (key === "healthMonitor.publishedPort") {
      const m = c.healthMonitor;
      routes.push({
        service: MONITOR_ALIAS,
        listenPort: port,
        kind: "http",
        // Its liveness, answered without credentials as each MCP server's is (the runbook's health check).
        healthPath: "/health",
        peers: [`${MONITOR_ALIAS}:${m.port}`],
        rateLimitPerMinute: m.rateLimitPerMinute,
        rateLimitBurst: m.rateLimitBurst,
        auth: routeAuth(m.auth, `${origin}/`),
        origin,
        resource: `${origin}/`,
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
      metricsPort: g.metricsPort,
    },
    tls: Boolean(g.tls.certificate || g.tls.selfSigned),
    tlsTerminatedBy: g.tls.terminatedBy?.reason,
    hstsMaxAgeSeconds: g.tls.hstsMaxAgeSeconds,
    allowedOrigins: g.allowedOrigins,
    // One thread per CPU the container may use.
    threads: Math.max(1, Math.ceil(g.cpus)),
  };
}

export const routeIsPublic = (c: PlatformConfig) => !isLoopback(c.publishAddress);

// Seconds until a client over the limit may expect a free slot: one request's worth of the rate.
export function retryAfterSeconds(ratePerMinute: number): number {
  return Math.max(1, Math.ceil(60 / ratePerMinute));
}

// The rate limit as a sliding window HAProxy counts in: burst + 1 requests per window, the window being
// the time the configured rate takes to earn them. Over a long run that is rateLimitPerMinute, and a
// client may send burst + 1 at once, as nginx's limit_req with a burst did.
export function rateWindow(route: Pick<GatewayRoute, "rateLimitPerMinute" | "rateLimitBurst">): { periodMs: number; allowed: number } {
  const allowed = route.rateLimitBurst + 1;
  return { periodMs: Math.max(1, Math.round((60_000 * allowed) / route.rateLimitPerMinute)), allowed };
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

// RFC 9728: where a route's protected-resource metadata is, for the path of its resource URL.
export function metadataPath(route: Pick<GatewayRoute, "resource" | "origin">): string {
  const p = route.resource.slice(route.origin.length);
  return `/.well-known/oauth-protected-resource${p === "/" ? "" : p}`;
}

export function metadataUrl(route: Pick<GatewayRoute, "resource" | "origin">): string {
  return `${route.origin}${metadataPath(route)}`;
}

export function protectedResourceMetadata(route: GatewayRoute): Record<string, unknown> {
  return {
    resource: route.resource,
    authorization_servers: route.auth.issuer ? [route.auth.issuer] : [],
    ...(route.auth.scopes.length ? { scopes_supported: route.auth.scopes } : {}),
    bearer_methods_supported: ["header"],
    resource_name: route.service,
  };
}
