// One MCP server: its image, its data volume, and its replicas.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { McpServerConfig } from "../config/schema";
import type { PlatformDefaults } from "../container/defaults";
import { serviceImage } from "../container/image";
import { deployContainers } from "../container/workload";
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
  readonly dataVolume?: docker.Volume;
  readonly containers: docker.Container[];

  constructor(name: string, args: McpServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:mcp-server:McpServer", name, {}, opts);
    const c = args.config;
    this.serviceName = name;
    this.port = c.port;
    this.path = c.path;
    this.healthPath = c.healthPath;
    if (c.dataVolume) {
      this.dataVolume = new docker.Volume(
        `${name}-data`,
        {
          name: `${args.volumePrefix}-${name}-data`,
          labels: Object.entries(args.volumeLabels).map(([label, value]) => ({ label, value })),
        },
        { parent: this, protect: args.protectVolumes },
      );
    }
    const image = serviceImage(name, c, args.resolveContext, { parent: this });
    const spec = mcpServerSpec(name, c, { ...args, image, dataVolume: this.dataVolume?.name });
    this.containers = deployContainers(name, spec, args.platform, { parent: this, dependsOn: args.dependsOn }).containers;
    this.registerOutputs({ replicas: this.containers.length, dataVolume: this.dataVolume?.name });
  }

  // Internal URLs on the frontend network, by alias: what the gateway and the health monitor use.
  get internalUrl(): string {
    return `http://${this.serviceName}:${this.port}${this.path}`;
  }
  get internalHealthUrl(): string {
    return `http://${this.serviceName}:${this.port}${this.healthPath}`;
  }
}
