// Host mode: a WorkloadSpec becomes one container per replica on the Docker host.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { containerArgs, labels, logOptions, type PlatformDefaults } from "./defaults";
import type { WorkloadSpec } from "./spec";
import { deployReplicaServices, deployService, namedReplicas } from "./swarm";

export interface DeployedWorkload {
  // What dependents wait for: the containers on one host, the service on a Swarm.
  resources: pulumi.Resource[];
  containers: docker.Container[];
  services?: docker.Service[];
}

type DeployOptions = { parent: pulumi.Resource; dependsOn?: pulumi.Input<pulumi.Resource>[] };

// One WorkloadSpec, on whichever engine the stack uses.
export function deployWorkload(name: string, spec: WorkloadSpec, platform: PlatformDefaults, opts: DeployOptions): DeployedWorkload {
  if (platform.mode === "swarm") {
    const initArgs = volumeInitArgs(spec, platform);
    const init = initArgs
      ? deployService(`${name}-volume-init`, volumeInitSpec(spec, initArgs), platform, platform.swarm, opts).service
      : undefined;
    const swarmOpts = { parent: opts.parent, dependsOn: [...(opts.dependsOn ?? []), ...(init ? [init] : [])] };
    if (namedReplicas(spec)) {
      const services = deployReplicaServices(name, spec, platform, platform.swarm, swarmOpts);
      return { resources: services, containers: [], services };
    }
    const { service } = deployService(name, spec, platform, platform.swarm, swarmOpts);
    return { resources: [service], containers: [], services: [service] };
  }
  const { containers } = deployContainers(name, spec, platform, opts);
  return { resources: containers, containers };
}

// The one-shot volume init as a spec, for Swarm (a service whose single task runs once and exits).
function volumeInitSpec(spec: WorkloadSpec, args: docker.ContainerArgs): WorkloadSpec {
  return {
    ...spec,
    component: "volume-init",
    user: "0:0",
    command: undefined,
    entrypoint: args.entrypoints as string[],
    replicas: 1,
    memoryMb: 64,
    memoryReservationMb: 32,
    cpus: 0.1,
    env: {},
    secretEnv: {},
    files: [],
    volumes: spec.volumes.filter((v) => !v.readOnly),
    readOnlyRootFilesystem: true,
    tmpfs: [],
    capAdd: [{ capability: "CHOWN", reason: "hands the volume's mount point to the service's user" }],
    networks: [],
    ports: [],
    healthcheck: { ...spec.healthcheck, test: ["NONE"] },
    oneShot: true,
  };
}

// Resource name of replica i (1-based); single-instance services keep the plain name.
export function replicaName(name: string, spec: Pick<WorkloadSpec, "stateful">, replica: number): string {
  return spec.stateful ? name : `${name}-${replica}`;
}

// Replicas are chained: each depends on the one before it, and every container is created with
// `wait: true`, so on a rolling change Pulumi replaces one replica at a time and moves on only once the
// new one is healthy. The others keep serving meanwhile.
export function deployContainers(
  name: string,
  spec: WorkloadSpec,
  platform: PlatformDefaults,
  opts: DeployOptions,
): { containers: docker.Container[] } {
  const init = volumeInit(name, spec, platform, opts);
  const containers: docker.Container[] = [];
  const count = spec.stateful ? 1 : spec.replicas;
  for (let i = 1; i <= count; i++) {
    const previous = containers[containers.length - 1];
    const dependsOn = [...(opts.dependsOn ?? []), ...(init ? [init] : []), ...(previous ? [previous] : [])];
    containers.push(
      new docker.Container(
        replicaName(name, spec, i),
        containerArgs(spec, platform, spec.stateful ? undefined : i),
        // Replacement is delete-before-replace in the docker provider; nothing here names containers,
        // so a replacement never collides with the container it replaces.
        { parent: opts.parent, dependsOn },
      ),
    );
  }
  return { containers };
}

// Volumes that a non-root service writes: Docker creates a new volume's mount point owned by root, so a
// one-shot container hands it to the service's user first. It runs with CHOWN as its only capability and
// no network, and changes only the mount point itself (what the service creates inside is already its own).
export function volumeInitArgs(spec: WorkloadSpec, platform: PlatformDefaults): docker.ContainerArgs | undefined {
  const writable = spec.volumes.filter((v) => !v.readOnly);
  if (!spec.user || spec.user.startsWith("0") || writable.length === 0) return undefined;
  const owner = spec.user.includes(":") ? spec.user : `${spec.user}:${spec.user}`;
  return {
    image: spec.image,
    user: "0:0",
    entrypoints: ["chown", owner, ...writable.map((v) => v.path)],
    labels: Object.entries(labels({ service: spec.service, component: "volume-init" }, platform.environment)).map(
      ([label, value]) => ({ label, value }),
    ),
    mounts: writable.map((v) => ({ type: "volume", source: v.volumeName, target: v.path })),
    networkMode: "none",
    readOnly: true,
    securityOpts: ["no-new-privileges:true"],
    capabilities: { drops: ["ALL"], adds: ["CHOWN"] },
    memory: 64,
    memorySwap: 64,
    cpus: "0.1",
    logDriver: "json-file",
    logOpts: logOptions(platform.logging),
    // Run to completion once: Pulumi waits for it to exit and does not restart it.
    attach: true,
    mustRun: false,
    restart: "no",
  };
}

function volumeInit(
  name: string,
  spec: WorkloadSpec,
  platform: PlatformDefaults,
  opts: { parent: pulumi.Resource; dependsOn?: pulumi.Input<pulumi.Resource>[] },
): docker.Container | undefined {
  const args = volumeInitArgs(spec, platform);
  return args && new docker.Container(`${name}-volume-init`, args, { parent: opts.parent, dependsOn: opts.dependsOn });
}
