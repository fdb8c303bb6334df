// The health monitor: one container with its targets and thresholds as a config file; the gateway publishes its dashboard.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { HealthMonitorConfig } from "../config/schema";
import type { PlatformDefaults } from "../container/defaults";
import { serviceImage } from "../container/image";
import { deployWorkload } from "../container/workload";
import { healthMonitorSpec, type HealthMonitorInputs } from "./spec";

export interface HealthMonitorArgs extends Omit<HealthMonitorInputs, "image"> {
  config: HealthMonitorConfig;
  platform: PlatformDefaults;
  resolveContext: (context: string) => string;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class HealthMonitor extends pulumi.ComponentResource {
  readonly containers: docker.Container[];
  readonly resources: pulumi.Resource[];

  constructor(name: string, args: HealthMonitorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:health-monitor:HealthMonitor", name, {}, opts);
    const image = serviceImage(name, args.config, args.resolveContext, { parent: this });
    const spec = healthMonitorSpec(args.config, { ...args, image });
    ({ containers: this.containers, resources: this.resources } = deployWorkload(name, spec, args.platform, {
      parent: this,
      dependsOn: args.dependsOn,
    }));
    this.registerOutputs({ replicas: spec.replicas });
  }
}
