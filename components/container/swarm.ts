// Swarm mode: the same WorkloadSpec becomes a docker.Service, with secrets as docker.Secret files,
// config files as docker.ServiceConfig, images by registry digest, and rolling updates that roll back on
// failure (start-first where two tasks can coexist).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { goDuration, labels, logOptions, type PlatformDefaults } from "./defaults";
import { healthWaitSeconds, networkAliases, type WorkloadSpec } from "./spec";

export interface SwarmSettings {
  // Node label that marks the node holding the stateful volumes: `node.labels.<label> == true`.
  stateNodeLabel: string;
}

// Where a secret or config file is mounted in the task.
export const SECRETS_DIR = "/run/secrets";
export const SECRET_ENV_SHIM = "/run/mcp-platform/secret-env.sh";
export const SECRET_ENV_SHIM_SOURCE = path.join(__dirname, "secret-env.sh");
export const DRAIN_WRAPPER = "/run/mcp-platform/drain.sh";
export const DRAIN_WRAPPER_SOURCE = path.join(__dirname, "drain.sh");

// Secret env an image reads from a file on its own, by the image's `_FILE` convention.
// The official Neo4j image reads NEO4J_AUTH from the file NEO4J_AUTH_PATH names (its entrypoint knows no NEO4J_AUTH_FILE).
const NATIVE_FILE_ENV: Record<string, string> = { NEO4J_AUTH: "NEO4J_AUTH_PATH" };

export function secretFileName(spec: Pick<WorkloadSpec, "service">, envName: string): string {
  return `${SECRETS_DIR}/${spec.service}-${envName.toLowerCase().replace(/_/g, "-")}`;
}

export interface SwarmFile {
  // Resource name suffix and mount path.
  key: string;
  path: string;
  content: pulumi.Input<string>;
  secret: boolean;
  mode: number;
}

// Every file the task needs: secret env as secret files, uploaded files, the entrypoint shim for images
// that read secrets only from env, and the drain wrapper for servers that stop at once on SIGTERM.
export interface SwarmLayout {
  files: SwarmFile[];
  env: Record<string, string>;
  entrypoint?: string[];
  args?: string[];
}

// The wrapper scripts, read once per program run however many services use them.
const scripts = new Map<string, string>();
const script = (file: string) => scripts.get(file) ?? scripts.set(file, fs.readFileSync(file, "utf8")).get(file)!;

export function swarmFiles(spec: WorkloadSpec): SwarmLayout {
  const files: SwarmFile[] = [];
  const env: Record<string, string> = {};
  const shimmed: string[] = [];
  for (const [name, value] of Object.entries(spec.secretEnv)) {
    const file = secretFileName(spec, name);
    files.push({ key: `env-${name.toLowerCase()}`, path: file, content: value, secret: true, mode: 0o400 });
    const native = NATIVE_FILE_ENV[name];
    if (native) env[native] = file;
    else shimmed.push(`${name}=${file}`);
  }
  for (const f of spec.files)
    files.push({ key: `file-${path.posix.basename(f.path)}`, path: f.path, content: f.content, secret: f.secret, mode: f.secret ? 0o400 : 0o444 });
  const drain = (spec.drainSeconds ?? 0) > 0;
  if (shimmed.length === 0 && !drain) return { files, env, args: spec.command, entrypoint: spec.entrypoint };
  // Each wrapper runs what the container would have run (its entrypoint and command) when its part is done.
  let process = [...(spec.entrypoint ?? []), ...(spec.command ?? [])];
  if (process.length === 0)
    throw new Error(
      `${spec.service}: swarm mode needs the service's command to ${shimmed.length ? "pass secrets from files" : "drain it on stop (drainSeconds)"} (set command in its config)`,
    );
  if (drain) {
    env.MCP_PLATFORM_DRAIN_SECONDS = String(spec.drainSeconds);
    files.push({ key: "drain-wrapper", path: DRAIN_WRAPPER, content: script(DRAIN_WRAPPER_SOURCE), secret: false, mode: 0o555 });
    process = ["/bin/sh", DRAIN_WRAPPER, ...process];
  }
  if (shimmed.length === 0) return { files, env, entrypoint: process.slice(0, 2), args: process.slice(2) };
  env.MCP_PLATFORM_SECRET_ENV = shimmed.sort().join(" ");
  files.push({ key: "secret-env-shim", path: SECRET_ENV_SHIM, content: script(SECRET_ENV_SHIM_SOURCE), secret: false, mode: 0o555 });
  return { files, env, entrypoint: ["/bin/sh", SECRET_ENV_SHIM], args: process };
}

export function stateNodeConstraint(swarm: SwarmSettings): string {
  return `node.labels.${swarm.stateNodeLabel} == true`;
}

// Named replicas (a spec whose network asks for per-replica aliases): one single-task service per
// replica, gmail-1 … gmail-n, each with the alias gmail-<i>. Swarm gives the tasks of one service no
// stable name of their own (tasks.<service> answers their addresses, in no fixed order), so gateways on
// several nodes could not agree which task a client belongs to; with stable names they hash alike, as on
// one host. Each service still updates start-first, and each waits for the one before it, so an update
// rolls through the replicas one at a time.
export function deployReplicaServices(
  name: string,
  spec: WorkloadSpec,
  platform: PlatformDefaults,
  swarm: SwarmSettings,
  opts: { parent: pulumi.Resource; dependsOn?: pulumi.Input<pulumi.Resource>[] },
): docker.Service[] {
  const services: docker.Service[] = [];
  for (let i = 1; i <= spec.replicas; i++) {
    const previous = services[services.length - 1];
    const { service } = deployService(
      `${name}-${i}`,
      { ...spec, replicas: 1 },
      platform,
      swarm,
      { parent: opts.parent, dependsOn: [...(opts.dependsOn ?? []), ...(previous ? [previous] : [])] },
      i,
      // Pulumi moves on to the next replica only once this one's update has converged: without it the
      // provider returns at once and every replica rolls together (seen on the three-node Swarm: both
      // graphiti replicas replaced within 5 s, and the gateways had neither for a few seconds).
      { delay: "5s", timeout: `${Math.max(180, 2 * healthWaitSeconds(spec.healthcheck))}s` },
    );
    services.push(service);
  }
  return services;
}

export function namedReplicas(spec: Pick<WorkloadSpec, "networks" | "stateful">): boolean {
  return !spec.stateful && spec.networks.some((n) => n.replicaAliases);
}

export function updateOrder(spec: Pick<WorkloadSpec, "stateful" | "ports">): "stop-first" | "start-first" {
  return spec.stateful || spec.ports.length ? "stop-first" : "start-first";
}

const nanoCpus = (cpus: number) => Math.round(cpus * 1e9);

// A duration as the provider reads a service's back from Swarm: Go's form without a trailing zero unit
// ("1m", "2m", "1h", "1m30s"), unlike a container's ("1m0s"). Written as "1m0s", every later `pulumi up`
// saw the service's healthcheck or restart window changed (seen on a real Swarm).
export function serviceDuration(seconds: number): string {
  return goDuration(seconds).replace(/m0s$/, "m").replace(/h0m$/, "h");
}
const bytes = (mb: number) => mb * 1024 * 1024;

function uidGid(user: string | undefined): { fileUid?: string; fileGid?: string } {
  if (!user) return {};
  const [uid, gid] = user.split(":");
  return { fileUid: uid, fileGid: gid ?? uid };
}

export function serviceArgs(
  spec: WorkloadSpec,
  platform: PlatformDefaults,
  swarm: SwarmSettings,
  refs: { secrets: { id: pulumi.Input<string>; name: pulumi.Input<string>; file: SwarmFile }[]; configs: { id: pulumi.Input<string>; name: pulumi.Input<string>; file: SwarmFile }[] },
  // Set when this service is one named replica of a workload (see deployReplicaServices).
  replica?: number,
  // The files, env and process swarmFiles gave the caller for this spec (computed here when not given).
  layout: SwarmLayout = swarmFiles(spec),
): docker.ServiceArgs {
  const { env, entrypoint, args } = layout;
  const labelList = Object.entries(labels(spec, platform.environment, replica)).map(([label, value]) => ({ label, value }));
  const owner = uidGid(spec.user);
  return {
    labels: labelList,
    mode: { replicated: { replicas: spec.stateful ? 1 : spec.replicas } },
    taskSpec: {
      containerSpec: {
        image: spec.image,
        commands: entrypoint,
        args,
        user: spec.user,
        // Plain env only: secrets arrive as files (env holds at most their paths).
        // Left out when empty: `{}` against none read back was a change at every `pulumi up`.
        env: Object.keys(spec.env).length + Object.keys(env).length
          ? Object.fromEntries([...Object.entries(spec.env), ...Object.entries(env)].map(([k, v]) => [k, v] as [string, pulumi.Input<string>]))
          : undefined,
        labels: labelList,
        readOnly: spec.readOnlyRootFilesystem,
        init: true,
        capDrops: ["ALL"],
        // As the spec names them: Swarm keeps a service spec as given (a refresh reads CHOWN back as CHOWN),
        // where a container's are stored as CAP_CHOWN (dockerCapability).
        capAdds: spec.capAdd.map((c) => c.capability),
        mounts: [
          ...spec.volumes.map((v) => ({
            type: "volume",
            source: v.volumeName,
            target: v.path,
            readOnly: v.readOnly,
            volumeOptions: v.driver ? { driverName: v.driver.name, driverOptions: v.driver.options } : undefined,
          })),
          ...(spec.hostMounts ?? []).map((h) => ({ type: "bind", source: h.hostPath, target: h.path, readOnly: true })),
          ...(spec.readOnlyRootFilesystem || spec.tmpfs.length
            ? // No mode: Docker's default is 1777, and the provider reads a declared mode back without its
              // sticky bit (Mode.Perm()), so each refresh would read a change.
              spec.tmpfs.map((t) => ({ type: "tmpfs", target: t, tmpfsOptions: { sizeBytes: bytes(64) } }))
            : []),
        ],
        healthcheck: {
          tests: spec.healthcheck.test,
          interval: serviceDuration(spec.healthcheck.intervalSeconds),
          timeout: serviceDuration(spec.healthcheck.timeoutSeconds),
          retries: spec.healthcheck.retries,
          startPeriod: serviceDuration(spec.healthcheck.startPeriodSeconds),
        },
        secrets: refs.secrets.map((s) => ({ secretId: s.id, secretName: s.name, fileName: s.file.path, fileMode: s.file.mode, ...owner })),
        configs: refs.configs.map((c) => ({ configId: c.id, configName: c.name, fileName: c.file.path, fileMode: c.file.mode, ...owner })),
        stopGracePeriod: "30s",
      },
      resources: {
        limits: { memoryBytes: bytes(spec.memoryMb), nanoCpus: nanoCpus(spec.cpus) },
        reservation: { memoryBytes: bytes(spec.memoryReservationMb), nanoCpus: nanoCpus(Math.min(spec.cpus, spec.cpus / 2)) },
      },
      // Written as Swarm reads them back (zeros included), so that a later `pulumi up` sees no change.
      restartPolicy: spec.oneShot
        ? { condition: "none", delay: "0s", maxAttempts: 0, window: "0s" }
        : {
            condition: platform.restart.policy === "on-failure" ? "on-failure" : "any",
            maxAttempts: platform.restart.policy === "on-failure" ? platform.restart.maxRetries : undefined,
            delay: "5s",
            window: serviceDuration(120),
          },
      // Services with volumes run where their volumes are, the node labelled for state: a local volume
      // exists on one node, and two nodes would each get an empty copy of their own.
      // A task that publishes ports in host mode holds them on its node: one such task per node.
      // Always declared: the service ignores changes to placement.platforms (the engine fills them from the
      // image), and ignoreChanges needs the path's parent in the inputs.
      placement: {
        constraints: spec.volumes.length ? [stateNodeConstraint(swarm)] : undefined,
        maxReplicas: spec.ports.length ? 1 : undefined,
      },
      logDriver: { name: "json-file", options: logOptions(platform.logging) },
      networksAdvanceds: spec.networks.map((n) => ({ id: n.ref.id, aliases: networkAliases(n, replica) })),
    },
    // Zero-downtime updates: one task at a time, the new one started and healthy before the old stops;
    // a task failing within the monitor window rolls the whole update back. A stateful service cannot
    // run two tasks on one volume, and a task publishing host-mode ports cannot start on a node where
    // the old one holds them (seen: start-first leaves it Pending, "host-mode port already in use", and
    // the update never ends): both stop first. The gateway's other replicas serve meanwhile.
    updateConfig: {
      parallelism: 1,
      order: updateOrder(spec),
      failureAction: "rollback",
      monitor: "30s",
      delay: "5s",
      maxFailureRatio: "0",
    },
    rollbackConfig: {
      parallelism: 1,
      order: updateOrder(spec),
      failureAction: "pause",
      monitor: "30s",
      maxFailureRatio: "0",
    },
    // DNS round robin, not a virtual IP: a service's name and aliases resolve to its tasks' own addresses.
    // The gateway resolves and health-checks the replicas itself, and a VIP needs the kernel's IPVS on
    // every node (seen on a kernel without it: every connection to a VIP "No route to host", while the
    // same overlay reached tasks by their own addresses).
    endpointSpec: {
      mode: "dnsrr",
      // Host mode: the routing mesh would replace the client's address with its own, breaking per-client
      // rate limits and client-IP affinity; and Swarm cannot bind a published port to one IP either way.
      ports: spec.ports.length
        ? spec.ports.map((p) => ({ targetPort: p.internal, publishedPort: p.published, publishMode: "host", protocol: "tcp" }))
        : undefined,
    },
  };
}

export interface DeployedService {
  service: docker.Service;
  secrets: docker.Secret[];
  configs: docker.ServiceConfig[];
}

export function deployService(
  name: string,
  spec: WorkloadSpec,
  platform: PlatformDefaults,
  swarm: SwarmSettings,
  opts: { parent: pulumi.Resource; dependsOn?: pulumi.Input<pulumi.Resource>[] },
  replica?: number,
  converge?: docker.types.input.ServiceConvergeConfig,
): DeployedService {
  const layout = swarmFiles(spec);
  const { files } = layout;
  const labelList = Object.entries(labels(spec, platform.environment)).map(([label, value]) => ({ label, value }));
  const secrets: { res: docker.Secret; file: SwarmFile }[] = [];
  const configs: { res: docker.ServiceConfig; file: SwarmFile }[] = [];
  for (const f of files) {
    // Secrets and configs are immutable in Swarm: unnamed, so a change creates a new one before the old goes.
    const data = pulumi.output(f.content).apply((c) => Buffer.from(c).toString("base64"));
    if (f.secret)
      secrets.push({ res: new docker.Secret(`${name}-${f.key}`, { data: pulumi.secret(data), labels: labelList }, { parent: opts.parent }), file: f });
    else configs.push({ res: new docker.ServiceConfig(`${name}-${f.key}`, { data }, { parent: opts.parent }), file: f });
  }
  const service = new docker.Service(
    name,
    {
      ...serviceArgs(spec, platform, swarm, {
        secrets: secrets.map((s) => ({ id: s.res.id, name: s.res.name, file: s.file })),
        configs: configs.map((c) => ({ id: c.res.id, name: c.res.name, file: c.file })),
      }, replica, layout),
      ...(converge ? { convergeConfig: converge } : {}),
    },
    {
      parent: opts.parent,
      dependsOn: opts.dependsOn,
      // A replacement (a ForceNew input changed) is a new service beside the old one, unless deleted
      // first: the same reasons as an update's order apply (one volume, host-mode ports).
      deleteBeforeReplace: updateOrder(spec) === "stop-first",
      // Swarm fills in the image's platforms; the program never declares them. The provider queries the
      // registry for them only at create: an update keeps what a refresh read (an image of another
      // architecture needs the service replaced).
      ignoreChanges: ["taskSpec.placement.platforms"],
    },
  );
  return { service, secrets: secrets.map((s) => s.res), configs: configs.map((c) => c.res) };
}
