// One MCP server: its image, its data volume, and its replicas.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { McpServerConfig } from "../config/schema";
import type { PlatformDefaults } from "../container/defaults";
import { serviceImage } from "../container/image";
import { stateVolume } from "../container/volume";
import { deployWorkload } from "../container/workload";
import { mcpServerSpec, type McpServerInputs } from "./spec";

export interface McpServerArgs extends Omit<McpServerInputs, "image" | "dataVolume"> {
  config: McpServerConfig;
  platform: PlatformDefaults;
  resolveContext: (context: string) => string;
  volumePrefix: string;
  protectVolumes: boolean;
  volumeLabels: Record<string, string>;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class McpServer extends pulumi.ComponentResource {
  readonly serviceName: string;
  readonly port: number;
  readonly path: string;
  readonly healthPath: string;
  readonly dataVolume?: pulumi.Input<string>;
  readonly containers: docker.Container[];
  // What dependents wait for: its containers, or its Swarm service.
  readonly resources: pulumi.Resource[];

  constructor(name: string, args: McpServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:mcp-server:McpServer", name, {}, opts);
    const c = args.config;
    this.serviceName = name;
    this.port = c.port;
    this.path = c.path;
    this.healthPath = c.healthPath;
    if (c.dataVolume) {
      this.dataVolume = stateVolume(
        `${name}-data`,
        { volumeName: `${args.volumePrefix}-${name}-data`, labels: args.volumeLabels, protect: args.protectVolumes },
        args.platform,
        { parent: this },
      ).name;
    }
    const image = serviceImage(name, c, args.resolveContext, args.platform, { parent: this });
    const spec = mcpServerSpec(name, c, { ...args, image, dataVolume: this.dataVolume });
    ({ containers: this.containers, resources: this.resources } = deployWorkload(name, spec, args.platform, {
      parent: this,
      dependsOn: args.dependsOn,
    }));
    this.registerOutputs({ replicas: c.replicas, dataVolume: this.dataVolume });
  }

  // Internal URLs on the frontend network, by alias: what the gateway and the health monitor use.
  get internalUrl(): string {
    return `http://${this.serviceName}:${this.port}${this.path}`;
  }
  get internalHealthUrl(): string {
    return `http://${this.serviceName}:${this.port}${this.healthPath}`;
  }
}
