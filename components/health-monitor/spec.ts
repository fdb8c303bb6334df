// The PA ecosystem's Node.js health monitor as a WorkloadSpec.
import type * as pulumi from "@pulumi/pulumi";
import type { AlertsConfig, HealthMonitorConfig, McpServerConfig } from "../config/schema";
import { httpHealthcheck, type WorkloadSpec } from "../container/spec";
import { nodeOptions } from "../mcp-server/spec";
import { monitorConfigFile, renderMonitorConfig } from "./targets";

export const MONITOR_ALIAS = "health-monitor";
export const MONITOR_CONFIG_PATH = "/app/config/monitor.json";

export interface HealthMonitorInputs {
  image: pulumi.Input<string>;
  frontendNetwork: pulumi.Input<string>;
  services: Record<string, McpServerConfig>;
  alerts: AlertsConfig;
}

export function healthMonitorSpec(m: HealthMonitorConfig, inputs: HealthMonitorInputs): WorkloadSpec {
  return {
    service: MONITOR_ALIAS,
    component: "health-monitor",
    image: inputs.image,
    command: m.command,
    // node:20-slim's node user.
    user: m.user ?? "1000:1000",
    // Its history and alerts live in memory: one instance, or each would tell a different story.
    replicas: 1,
    memoryMb: m.memoryMb,
    memoryReservationMb: m.memoryReservationMb ?? Math.floor(m.memoryMb / 2),
    cpus: m.cpus,
    env: {
      PORT: String(m.port),
      HEALTH_CHECK_INTERVAL: String(m.intervalSeconds),
      NODE_ENV: m.nodeEnv,
      NODE_OPTIONS: nodeOptions(m.memoryMb),
      HEALTH_MONITOR_CONFIG: MONITOR_CONFIG_PATH,
      ...m.env,
    },
    secretEnv: {},
    files: [
      {
        path: MONITOR_CONFIG_PATH,
        content: renderMonitorConfig(monitorConfigFile(inputs.services, inputs.alerts, m.intervalSeconds)),
        secret: false,
      },
    ],
    volumes: [],
    readOnlyRootFilesystem: m.readOnlyRootFilesystem,
    tmpfs: m.tmpfs,
    capAdd: m.capAdd.map((capability) => ({ capability, reason: "healthMonitor.capAdd" })),
    networks: [{ network: "frontend", networkName: inputs.frontendNetwork, aliases: [MONITOR_ALIAS] }],
    // Published only through the gateway, which rate-limits it (healthMonitor.rateLimitPerMinute).
    ports: [],
    healthcheck: httpHealthcheck(m.port, "/health", "node"),
    stateful: false,
  };
}
