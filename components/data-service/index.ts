// A stateful data service: its volume and its single container on the backend network.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DataServiceConfig } from "../config/schema";
import type { PlatformDefaults } from "../container/defaults";
import { serviceImage } from "../container/image";
import { deployContainers } from "../container/workload";
import { dataServiceSpec, dataServiceUrl } from "./spec";

export interface DataServiceArgs {
  config: DataServiceConfig;
  platform: PlatformDefaults;
  backendNetwork: pulumi.Input<string>;
  secrets: Record<string, pulumi.Output<string>>;
  resolveContext: (context: string) => string;
  volumePrefix: string;
  protectVolumes: boolean;
  volumeLabels: Record<string, string>;
}

export class DataService extends pulumi.ComponentResource {
  readonly url: string;
  readonly dataVolume: docker.Volume;
  readonly containers: docker.Container[];

  constructor(name: string, args: DataServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:data-service:DataService", name, {}, opts);
    this.url = dataServiceUrl(name, args.config);
    this.dataVolume = new docker.Volume(
      `${name}-data`,
      {
        name: `${args.volumePrefix}-${name}-data`,
        labels: Object.entries(args.volumeLabels).map(([label, value]) => ({ label, value })),
      },
      { parent: this, protect: args.protectVolumes },
    );
    const image = serviceImage(name, args.config, args.resolveContext, { parent: this });
    const spec = dataServiceSpec(name, args.config, {
      image,
      backendNetwork: args.backendNetwork,
      dataVolume: this.dataVolume.name,
      secrets: args.secrets,
    });
    this.containers = deployContainers(name, spec, args.platform, { parent: this }).containers;
    this.registerOutputs({ url: this.url, dataVolume: this.dataVolume.name });
  }
}
