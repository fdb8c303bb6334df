// Stateful volumes. On one host they are Pulumi resources, protected in prod. On a Swarm, Docker creates a
// named volume on the node where a task first mounts it (the state node); a volume the manager created
// would sit on the wrong node, so Pulumi declares none there and `pulumi destroy` can never delete data.
import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformDefaults } from "./defaults";
import type { VolumeDriver } from "./spec";

export interface StateVolumeArgs {
  // Docker volume name, e.g. mcp-prod-neo4j-data.
  volumeName: string;
  labels: Record<string, string>;
  protect: boolean;
  driver?: VolumeDriver;
}

export function stateVolume(
  name: string,
  args: StateVolumeArgs,
  platform: Pick<PlatformDefaults, "mode">,
  // The provider is named when the parent does not carry it (a volume declared by the Platform itself).
  opts: { parent: pulumi.Resource; provider?: pulumi.ProviderResource },
): { name: pulumi.Input<string>; resource?: docker.Volume } {
  if (platform.mode === "swarm") return { name: args.volumeName };
  const resource = new docker.Volume(
    name,
    {
      name: args.volumeName,
      labels: Object.entries(args.labels).map(([label, value]) => ({ label, value })),
      driver: args.driver?.name,
      driverOpts: args.driver?.options,
    },
    { parent: opts.parent, provider: opts.provider, protect: args.protect },
  );
  return { name: resource.name, resource };
}
