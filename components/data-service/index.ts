// A stateful data service: its volume and its single container on the backend network.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DataServiceConfig } from "../config/schema";
import type { PlatformDefaults } from "../container/defaults";
import { serviceImage } from "../container/image";
import type { NetworkRef } from "../container/spec";
import { stateVolume } from "../container/volume";
import { deployWorkload } from "../container/workload";
import { dataServiceSpec, dataServiceUrl } from "./spec";

export interface DataServiceArgs {
  config: DataServiceConfig;
  platform: PlatformDefaults;
  backendNetwork: NetworkRef;
  secrets: Record<string, pulumi.Output<string>>;
  resolveContext: (context: string) => string;
  volumePrefix: string;
  protectVolumes: boolean;
  volumeLabels: Record<string, string>;
}

export class DataService extends pulumi.ComponentResource {
  readonly url: string;
  readonly dataVolume: pulumi.Input<string>;
  readonly containers: docker.Container[];
  readonly resources: pulumi.Resource[];

  constructor(name: string, args: DataServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:data-service:DataService", name, {}, opts);
    this.url = dataServiceUrl(name, args.config);
    this.dataVolume = stateVolume(
      `${name}-data`,
      { volumeName: `${args.volumePrefix}-${name}-data`, labels: args.volumeLabels, protect: args.protectVolumes },
      args.platform,
      { parent: this },
    ).name;
    const image = serviceImage(name, args.config, args.resolveContext, args.platform, { parent: this });
    const spec = dataServiceSpec(name, args.config, {
      image,
      backendNetwork: args.backendNetwork,
      dataVolume: this.dataVolume,
      secrets: args.secrets,
    });
    ({ containers: this.containers, resources: this.resources } = deployWorkload(name, spec, args.platform, { parent: this }));
    this.registerOutputs({ url: this.url, dataVolume: this.dataVolume });
  }
}
