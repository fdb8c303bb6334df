// The platform's health monitor as a WorkloadSpec: its targets as a config file, its history on a small
// volume, the backups volume read-only for the status file, the host's cgroup tree read-only for memory and
// CPU, and no Docker socket.
import type * as pulumi from "@pulumi/pulumi";
import { BACKUP_DIR } from "../backup/spec";
import type { HealthMonitorConfig } from "../config/schema";
import { httpHealthcheck, type FileSpec, type HostMountSpec, type NetworkRef, type VolumeMountSpec, type WorkloadSpec } from "../container/spec";
import { nodeOptions } from "../mcp-server/spec";
import { CGROUP_MOUNT, GATEWAY_CA_FILE, GATEWAY_TOKEN_FILE, gatewayKeyFile, MONITOR_CONFIG_PATH, MONITOR_DATA_DIR, WEBHOOK_URL_FILE } from "./targets";

export { MONITOR_CONFIG_PATH } from "./targets";
export const MONITOR_ALIAS = "health-monitor";
// The image's node user (node:20-slim).
export const MONITOR_USER = "1000:1000";

export interface HealthMonitorInputs {
  image: pulumi.Input<string>;
  frontendNetwork: NetworkRef;
  backendNetwork: NetworkRef;
  // monitor.json, rendered from the stack (targets.ts).
  configFile: pulumi.Input<string>;
  dataVolume: pulumi.Input<string>;
  // The backups volume, when backups run: mounted read-only at the backup's own path.
  backupVolume?: pulumi.Input<string>;
  gatewayToken?: pulumi.Output<string>;
  // Route -> the key the gateway generated for the monitor to call it with.
  gatewayKeys?: Record<string, pulumi.Output<string>>;
  // The gateway's certificate (public): trusted besides the public roots.
  gatewayCa?: pulumi.Input<string>;
  webhookUrl?: pulumi.Output<string>;
  // Host path of the cgroup tree, when memory and CPU are read (host mode).
  cgroupRoot?: string;
}

export function healthMonitorSpec(m: HealthMonitorConfig, inputs: HealthMonitorInputs): WorkloadSpec {
  const files: FileSpec[] = [{ path: MONITOR_CONFIG_PATH, content: inputs.configFile, secret: false }];
  if (inputs.gatewayToken) files.push({ path: GATEWAY_TOKEN_FILE, content: inputs.gatewayToken, secret: true });
  if (inputs.webhookUrl) files.push({ path: WEBHOOK_URL_FILE, content: inputs.webhookUrl, secret: true });
  for (const [service, key] of Object.entries(inputs.gatewayKeys ?? {})) files.push({ path: gatewayKeyFile(service), content: key, secret: true });
  if (inputs.gatewayCa) files.push({ path: GATEWAY_CA_FILE, content: inputs.gatewayCa, secret: false });
  const volumes: VolumeMountSpec[] = [{ volume: "health-monitor-data", volumeName: inputs.dataVolume, path: MONITOR_DATA_DIR, readOnly: false }];
  if (inputs.backupVolume) volumes.push({ volume: "backups", volumeName: inputs.backupVolume, path: BACKUP_DIR, readOnly: true });
  const hostMounts: HostMountSpec[] = inputs.cgroupRoot
    ? [
        {
          hostPath: inputs.cgroupRoot,
          path: CGROUP_MOUNT,
          reason: "memory and CPU of each container from the kernel's cgroup counters, read-only, instead of the Docker socket",
        },
      ]
    : [];
  return {
    service: MONITOR_ALIAS,
    component: "health-monitor",
    image: inputs.image,
    command: m.command,
    user: m.user ?? MONITOR_USER,
    // History and alerts live in one process and one file: one instance.
    replicas: 1,
    memoryMb: m.memoryMb,
    memoryReservationMb: m.memoryReservationMb ?? Math.floor(m.memoryMb / 2),
    cpus: m.cpus,
    env: {
      PORT: String(m.port),
      // The runbook's variable; the monitor reads it over the file's interval (they are the same here).
      HEALTH_CHECK_INTERVAL: String(m.intervalSeconds),
      NODE_ENV: m.nodeEnv,
      NODE_OPTIONS: nodeOptions(m.memoryMb),
      HEALTH_MONITOR_CONFIG: MONITOR_CONFIG_PATH,
      ...m.env,
    },
    secretEnv: {},
    files,
    volumes,
    hostMounts,
    readOnlyRootFilesystem: m.readOnlyRootFilesystem,
    tmpfs: m.tmpfs,
    capAdd: m.capAdd.map((capability) => ({ capability, reason: "healthMonitor.capAdd" })),
    // Frontend: the gateway publishes it, and it reaches the MCP servers and the gateway there. Backend
    // (internal, no route out): Neo4j's Bolt port and the data services, which live only there. It holds
    // none of their credentials; the MCP servers that use them sit on both networks already.
    networks: [
      { network: "frontend", ref: inputs.frontendNetwork, aliases: [MONITOR_ALIAS] },
      { network: "backend", ref: inputs.backendNetwork, aliases: [MONITOR_ALIAS] },
    ],
    // Published only through the gateway, which rate-limits it (healthMonitor.rateLimitPerMinute).
    ports: [],
    // Bash, not a second Node process: that one's ~50 MB got the monitor OOM-killed at 128 MB under load.
    healthcheck: httpHealthcheck(m.port, "/health", "bash"),
    // Its history volume: a single instance, replaced stop-first, placed with the volumes on a Swarm.
    stateful: true,
  };
}
