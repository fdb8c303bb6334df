// The health monitor: its image (built from components/health-monitor/app unless the stack names another),
// its config file rendered from the stack, and one container.
import type * as docker from "@pulumi/docker";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { HealthMonitorConfig } from "../config/schema";
import type { PlatformDefaults } from "../container/defaults";
import { serviceImage } from "../container/image";
import type { NetworkRef } from "../container/spec";
import { deployWorkload } from "../container/workload";
import { healthMonitorSpec } from "./spec";
import { monitorConfig, renderMonitorConfig, type MonitorModel } from "./targets";

// The monitor's source, Dockerfile and lockfile: the default build context.
export const MONITOR_APP_DIR = path.join(__dirname, "app");

export interface HealthMonitorArgs {
  config: HealthMonitorConfig;
  platform: PlatformDefaults;
  resolveContext: (context: string) => string;
  // Everything it watches, without the container ids (they are resolved here).
  model: Omit<MonitorModel, "containerIds" | "monitor">;
  containerIds: Record<string, pulumi.Input<string>>;
  frontendNetwork: NetworkRef;
  backendNetwork: NetworkRef;
  dataVolume: pulumi.Input<string>;
  backupVolume?: pulumi.Input<string>;
  gatewayToken?: pulumi.Output<string>;
  // The gateway's generated keys for the monitor (route -> key) and its certificate.
  gatewayKeys?: Record<string, pulumi.Output<string>>;
  gatewayCa?: pulumi.Input<string>;
  webhookUrl?: pulumi.Output<string>;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class HealthMonitor extends pulumi.ComponentResource {
  readonly containers: docker.Container[];
  readonly resources: pulumi.Resource[];

  constructor(name: string, args: HealthMonitorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:health-monitor:HealthMonitor", name, {}, opts);
    const m = args.config;
    const image =
      m.image || m.build
        ? serviceImage(name, m, args.resolveContext, args.platform, { parent: this })
        : serviceImage(name, { build: { context: MONITOR_APP_DIR } }, (ctx) => ctx, args.platform, { parent: this });
    const configFile = pulumi
      .all(args.containerIds)
      .apply((ids) => renderMonitorConfig(monitorConfig({ ...args.model, monitor: m, containerIds: ids })));
    const spec = healthMonitorSpec(m, {
      image,
      frontendNetwork: args.frontendNetwork,
      backendNetwork: args.backendNetwork,
      configFile,
      dataVolume: args.dataVolume,
      backupVolume: args.backupVolume,
      gatewayToken: args.gatewayToken,
      gatewayKeys: args.gatewayKeys,
      gatewayCa: args.gatewayCa,
      webhookUrl: args.webhookUrl,
      cgroupRoot: args.model.cgroups ? m.resources.cgroupRoot : undefined,
    });
    ({ containers: this.containers, resources: this.resources } = deployWorkload(name, spec, args.platform, {
      parent: this,
      dependsOn: args.dependsOn,
    }));
    this.registerOutputs({ replicas: spec.replicas });
  }
}
