// The gateway: nginx in front of every MCP server's replicas and the health monitor, publishing their
// host ports, with session affinity, rate limits and passive health checks.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/schema";
import type { PlatformDefaults } from "../container/defaults";
import { serviceImage } from "../container/image";
import { deployWorkload } from "../container/workload";
import { gatewaySpec } from "./spec";

export interface GatewayArgs {
  config: PlatformConfig;
  platform: PlatformDefaults;
  frontendNetwork: pulumi.Input<string>;
  // The services it proxies: on a first deployment it starts once they are healthy.
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class Gateway extends pulumi.ComponentResource {
  readonly containers: docker.Container[];
  readonly resources: pulumi.Resource[];

  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:gateway:Gateway", name, {}, opts);
    const image = serviceImage(name, { image: args.config.gateway.image }, (c) => c, { parent: this });
    const spec = gatewaySpec(args.config, { image, frontendNetwork: args.frontendNetwork });
    ({ containers: this.containers, resources: this.resources } = deployWorkload(name, spec, args.platform, {
      parent: this,
      dependsOn: args.dependsOn,
    }));
    this.registerOutputs({ ports: spec.ports.map((p) => p.published) });
  }
}
