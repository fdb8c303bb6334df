// Host mode: a WorkloadSpec becomes one container per replica on the Docker host.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { containerArgs, labels, type PlatformDefaults } from "./defaults";
import { chownTargets, initArgs, initGate, INIT_COMPONENT, ownerOf } from "./init";
import { filesPlan, type WorkloadSpec } from "./spec";
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
    // Swarm hands files over as configs and secrets; the init only chowns the volumes' mount points.
    const chown = chownTargets(spec);
    const init = chown.length
      ? deployService(`${name}-volume-init`, swarmInitSpec(spec, chown), platform, platform.swarm, opts).service
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

// The one-shot chown as a spec, for Swarm (a service whose single task runs once and exits).
function swarmInitSpec(spec: WorkloadSpec, chown: string[]): WorkloadSpec {
  return {
    ...spec,
    component: INIT_COMPONENT,
    user: "0:0",
    command: undefined,
    entrypoint: ["chown", ownerOf(spec.user), ...chown],
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
): { containers: docker.Container[]; init?: docker.Container; filesVolumes: docker.Volume[] } {
  // One volume per directory of the workload's files; the init fills them. Not state: nothing backs them up.
  const filesVolumes = filesPlan(spec).map(
    (d) =>
      new docker.Volume(
        `${name}-files-${d.index}`,
        { labels: Object.entries({ ...labels(spec, platform.environment), "dev.mcp-platform.files": d.dir }).map(([label, value]) => ({ label, value })) },
        { parent: opts.parent },
      ),
  );
  const args = initArgs(spec, platform, filesVolumes.map((v) => v.name));
  const init = args && new docker.Container(`${name}-volume-init`, args, { parent: opts.parent, dependsOn: opts.dependsOn });
  const initOutputs = { filesVolumes: filesVolumes.map((v) => v.name) };
  // Every replica waits for the init to have exited 0 (initGate fails the deployment otherwise).
  const initDone = init ? initGate(init, spec.service).apply(() => init) : undefined;
  // A new init (its files changed) replaces the replicas, which read their files at start; a workload
  // that watches its files and reloads them itself keeps running.
  const replaceWith = init && spec.filesChange !== "reload" ? [init] : undefined;
  const containers: docker.Container[] = [];
  const count = spec.stateful ? 1 : spec.replicas;
  for (let i = 1; i <= count; i++) {
    const previous = containers[containers.length - 1];
    const dependsOn = [...(opts.dependsOn ?? []), ...(initDone ? [initDone] : []), ...(previous ? [previous] : [])];
    containers.push(
      new docker.Container(
        replicaName(name, spec, i),
        containerArgs(spec, platform, spec.stateful ? undefined : i, initOutputs),
        // Replaced delete-first (the docker provider's default, said here because it matters): a
        // stateful single writer such as Neo4j cannot start while the old container holds its store lock,
        // and nothing here names containers, so no replacement collides with what it replaces.
        { parent: opts.parent, dependsOn, deleteBeforeReplace: true, replaceWith },
      ),
    );
  }
  return { containers, init, filesVolumes };
}
