// What the health monitor watches, and how: derived from the stack, never a hand-kept list (the PA
// monitor hard-codes gmail:8080, graphiti:8082, rag:8082). Every MCP server's replicas by alias and its
// route through the gateway, Neo4j, the data services, the gateway's own health and the backups. Adding a
// server to the stack's config adds it here. Pure: the component renders this into the monitor's file.
import type { AlertsConfig, DataServiceConfig, HealthMonitorConfig, McpServerConfig } from "../config/schema";
import { replicaAlias } from "../container/spec";
import type { Check, MonitorConfigInput } from "./app/src/config";

export type { MonitorConfigInput } from "./app/src/config";

// Where things are inside the monitor's container.
export const MONITOR_CONFIG_PATH = "/app/config/monitor.json";
export const MONITOR_SECRETS_DIR = "/app/secrets";
export const GATEWAY_TOKEN_FILE = `${MONITOR_SECRETS_DIR}/gateway-token`;
export const WEBHOOK_URL_FILE = `${MONITOR_SECRETS_DIR}/alert-webhook-url`;
// The gateway's own certificate, trusted besides the public roots (a self-signed one in dev).
export const GATEWAY_CA_FILE = `${MONITOR_SECRETS_DIR}/gateway-ca.pem`;
// The key the gateway generated for a route's first client (apiKey routes).
export const gatewayKeyFile = (service: string) => `${MONITOR_SECRETS_DIR}/gateway-key-${service}`;
export const MONITOR_DATA_DIR = "/app/data";
export const HISTORY_FILE = `${MONITOR_DATA_DIR}/state.json`;
export const CGROUP_MOUNT = "/host/cgroup";

// How the monitor reaches the gateway from inside the frontend network. The gateway listens on each
// server's published port number (components/gateway/spec.ts gatewayPorts); scheme and health path are the
// gateway's to say, so a TLS gateway with its own health path needs no change here.
export interface GatewayAccess {
  scheme: "http" | "https";
  host: string;
  healthPath: string;
  // https: the name its certificate carries (the public host), checked instead of `host`.
  serverName?: string;
  // https: the gateway's certificate is handed to the monitor (GATEWAY_CA_FILE) to trust.
  pinnedCertificate?: boolean;
  // Routes with a generated key for the monitor (gatewayKeyFile); others use healthMonitor.gatewayTokenKey.
  keyedRoutes?: string[];
}

export interface MonitorModel {
  services: Record<string, McpServerConfig>;
  dataServices: Record<string, DataServiceConfig>;
  neo4j?: { host: string; port: number };
  gateway?: GatewayAccess;
  alerts: AlertsConfig;
  monitor: HealthMonitorConfig;
  // The status file's path inside the monitor and the stack's RPO, when backups run.
  backup?: { statusFile: string; rpoMinutes: number };
  // Target name -> Docker container id (host mode): memory and CPU from its cgroup.
  containerIds?: Record<string, string>;
  // The host's cgroup tree is mounted (host mode with healthMonitor.resources.enabled).
  cgroups: boolean;
}

const enabled = <T extends { enabled: boolean }>(m: Record<string, T>) =>
  Object.entries(m)
    .filter(([, v]) => v.enabled)
    .sort(([a], [b]) => a.localeCompare(b));

export function replicaTargetName(service: string, replica: number): string {
  return replicaAlias(service, replica);
}
export function routeTargetName(service: string): string {
  return `${service}@gateway`;
}

export function monitorConfig(m: MonitorModel): MonitorConfigInput {
  const mon = m.monitor;
  const ids = m.containerIds ?? {};
  const withId = (name: string) => (ids[name] ? { containerId: ids[name] } : {});
  const g = m.gateway;
  const tls =
    g?.scheme === "https" && (g.serverName || g.pinnedCertificate)
      ? { tls: { ...(g.pinnedCertificate ? { caFile: GATEWAY_CA_FILE } : {}), ...(g.serverName ? { serverName: g.serverName } : {}) } }
      : {};
  const tokenFor = (service: string) =>
    g?.keyedRoutes?.includes(service) ? { bearerTokenFile: gatewayKeyFile(service) } : mon.gatewayTokenKey ? { bearerTokenFile: GATEWAY_TOKEN_FILE } : {};
  const targets: MonitorConfigInput["targets"] = [];
  for (const [name, s] of enabled(m.services)) {
    for (let i = 1; i <= s.replicas; i++) {
      const host = replicaAlias(name, i);
      targets.push({
        name: replicaTargetName(name, i),
        service: name,
        kind: "mcp-replica",
        role: "service",
        checks: [
          { type: "http", url: `http://${host}:${s.port}${s.healthPath}` },
          { type: "mcp", url: `http://${host}:${s.port}${s.path}`, protocolVersions: mon.mcpProtocolVersions },
        ],
        ...withId(replicaTargetName(name, i)),
      });
    }
    if (m.gateway) {
      const base = `${m.gateway.scheme}://${m.gateway.host}:${s.publishedPort}`;
      targets.push({
        name: routeTargetName(name),
        service: name,
        kind: "gateway-route",
        role: "service",
        checks: [
          { type: "http", url: `${base}${s.healthPath}`, ...tokenFor(name), ...tls },
          { type: "mcp", url: `${base}${s.path}`, protocolVersions: mon.mcpProtocolVersions, ...tokenFor(name), ...tls },
        ],
      });
    }
  }
  if (m.neo4j)
    targets.push({ name: "neo4j", service: "neo4j", kind: "neo4j", role: "dependency", checks: [{ type: "bolt", host: m.neo4j.host, port: m.neo4j.port }], ...withId("neo4j") });
  for (const [name, d] of enabled(m.dataServices)) {
    const check: Check =
      d.scheme === "http" || d.scheme === "https"
        ? { type: "http", url: `${d.scheme}://${name}:${d.port}/`, expect: "below-500" }
        : { type: "tcp", host: name, port: d.port };
    targets.push({ name, service: name, kind: "data-service", role: "dependency", checks: [check], ...withId(name) });
  }
  const firstPort = enabled(m.services)[0]?.[1].publishedPort;
  if (m.gateway && firstPort !== undefined)
    targets.push({
      name: "gateway",
      service: "gateway",
      kind: "gateway",
      role: "service",
      // The gateway answers its health path itself, before any authentication.
      checks: [{ type: "http", url: `${m.gateway.scheme}://${m.gateway.host}:${firstPort}${m.gateway.healthPath}`, ...tls }],
    });
  return {
    intervalSeconds: mon.intervalSeconds,
    probeTimeoutMs: mon.probeTimeoutSeconds * 1000,
    // The runbook's alert_thresholds block, under its names.
    alertThresholds: {
      response_time: m.alerts.responseTimeMs,
      error_rate: m.alerts.errorRate,
      consecutive_failures: m.alerts.consecutiveFailures,
      memory_usage: m.alerts.memoryUsage,
      cpu_usage: m.alerts.cpuUsage,
      error_rate_window: mon.errorRateWindow,
    },
    targets,
    ...(m.backup ? { backup: m.backup } : {}),
    ...(m.cgroups ? { resources: { cgroupRoot: CGROUP_MOUNT } } : {}),
    alerts: { ...(mon.alertWebhookKey ? { webhookUrlFile: WEBHOOK_URL_FILE } : {}), resendIntervalMinutes: mon.alertResendMinutes },
    history: { file: HISTORY_FILE, perTarget: mon.historyPerTarget },
  };
}

export function renderMonitorConfig(file: MonitorConfigInput): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
