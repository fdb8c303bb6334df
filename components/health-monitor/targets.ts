// What the health monitor watches and when it alerts: derived from the stack's MCP servers, never a
// hand-kept list (the upstream monitor hard-codes gmail:8080, graphiti:8082, rag:8082).
import type { AlertsConfig, McpServerConfig } from "../config/schema";

export interface HealthTarget {
  name: string;
  url: string;
  timeoutMs: number;
  retries: number;
}

export interface MonitorConfigFile {
  intervalSeconds: number;
  targets: HealthTarget[];
  alertThresholds: {
    response_time: number;
    error_rate: number;
    consecutive_failures: number;
    memory_usage: number;
    cpu_usage: number;
  };
}

export function healthTargets(services: Record<string, McpServerConfig>, alerts: AlertsConfig): HealthTarget[] {
  return Object.entries(services)
    .filter(([, s]) => s.enabled)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, s]) => ({
      name,
      url: `http://${name}:${s.port}${s.healthPath}`,
      // A check that takes longer than the response-time threshold has failed it.
      timeoutMs: alerts.responseTimeMs,
      retries: alerts.consecutiveFailures,
    }));
}

// The runbook's alert_thresholds block, with its key names.
export function monitorConfigFile(
  services: Record<string, McpServerConfig>,
  alerts: AlertsConfig,
  intervalSeconds: number,
): MonitorConfigFile {
  return {
    intervalSeconds,
    targets: healthTargets(services, alerts),
    alertThresholds: {
      response_time: alerts.responseTimeMs,
      error_rate: alerts.errorRate,
      consecutive_failures: alerts.consecutiveFailures,
      memory_usage: alerts.memoryUsage,
      cpu_usage: alerts.cpuUsage,
    },
  };
}

export function renderMonitorConfig(file: MonitorConfigFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
