// The shared container defaults: every container the platform runs is built here, from its
// WorkloadSpec, so limits, logging, health, restart, labels and hardening cannot be forgotten by one
// component. Plain functions, not resource transforms: transforms do not run under the test mocks.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/schema";
import { CURRENT_ENGINE, type EngineFeatures } from "./engine";
import { filesPlan, healthWaitSeconds, networkAliases, type HealthcheckSpec, type WorkloadSpec } from "./spec";

export type PlatformDefaults = Pick<PlatformConfig, "environment" | "logging" | "restart" | "mode" | "swarm"> & {
  // What the Docker engine behind dockerHost supports (components/container/engine.ts); unset means current.
  engine?: EngineFeatures;
};

// The labels json-file copies into each log line, as the runbook's logging section asks.
export const LOG_LABELS = ["service", "component", "environment"];

export function labels(spec: Pick<WorkloadSpec, "service" | "component">, env: string, replica?: number) {
  const out: Record<string, string> = {
    service: spec.service,
    component: spec.component,
    environment: env,
    "dev.mcp-platform.managed-by": "pulumi",
  };
  if (replica !== undefined) out["dev.mcp-platform.replica"] = String(replica);
  return out;
}

// Which of a container's env entries and uploaded files hold secrets, by name: Pulumi hands policy packs
// secret values unwrapped, with no mark (pulumi/pulumi-policy#241), so the pack reads these labels to tell
// a secretEnv entry or a secret file from a credential pasted into plain env or a plain file. Names only.
export const SECRET_ENV_LABEL = "dev.mcp-platform.secret-env";
export const SECRET_FILES_LABEL = "dev.mcp-platform.secret-files";
export function secretEnvLabel(spec: Pick<WorkloadSpec, "secretEnv">): Record<string, string> {
  const env = Object.keys(spec.secretEnv).sort();
  return env.length ? { [SECRET_ENV_LABEL]: env.join(",") } : {};
}
// `paths`: where the container's secret uploads are written (the init's copies, components/container/init.ts).
export function secretFilesLabel(paths: string[]): Record<string, string> {
  return paths.length ? { [SECRET_FILES_LABEL]: [...paths].sort().join(",") } : {};
}

export function logOptions(logging: PlatformConfig["logging"]): Record<string, string> {
  return { "max-size": logging.maxSize, "max-file": String(logging.maxFile), labels: LOG_LABELS.join(",") };
}

// A duration as Go's time.Duration prints it, which is how Docker and the provider read durations back
// ("60s" comes back as "1m0s"): written any other way, every `pulumi up` would see a changed healthcheck
// and replace the container.
export function goDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) throw new RangeError(`a duration must be a whole number of seconds, got ${seconds}`);
  if (seconds === 0) return "0s";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

// CPUs as the provider reads them back from Docker's NanoCpus: a whole number keeps one decimal ("1.0"),
// a fraction has no trailing zeros ("0.5"). Written as "1", every later `pulumi up` replaced the container.
export function dockerCpus(cpus: number): string {
  if (!(cpus > 0)) throw new RangeError(`cpus must be positive, got ${cpus}`);
  return Number.isInteger(cpus) ? cpus.toFixed(1) : String(Number(cpus.toFixed(9)));
}

// A capability as Docker stores it: the engine (20.10 and later) turns CHOWN into CAP_CHOWN when it creates
// the container, and `pulumi refresh` reads it back that way. Declared the short way, the next `up` would
// see a change the provider cannot make in place and replace the container (and, for an init, every
// replica its files feed).
export function dockerCapability(name: string): string {
  const upper = name.toUpperCase();
  return upper === "ALL" || upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
}

// While a container starts, Docker probes it every 2 s instead of every interval, so a dependent and the
// next replica start as soon as it is healthy. Engines before API 1.44 refuse the setting: left out there.
export const HEALTH_START_INTERVAL_SECONDS = 2;

export function dockerHealthcheck(h: HealthcheckSpec, engine: EngineFeatures = CURRENT_ENGINE): docker.types.input.ContainerHealthcheck {
  return {
    tests: h.test,
    interval: goDuration(h.intervalSeconds),
    timeout: goDuration(h.timeoutSeconds),
    retries: h.retries,
    startPeriod: goDuration(h.startPeriodSeconds),
    ...(engine.healthStartInterval ? { startInterval: goDuration(HEALTH_START_INTERVAL_SECONDS) } : {}),
  };
}

// Writable scratch space on a read-only root filesystem: small, and never executable.
export function tmpfsMounts(paths: string[]): Record<string, string> {
  return Object.fromEntries(paths.map((p) => [p, "rw,noexec,nosuid,nodev,size=64m"]));
}

// KEY=value entries, sorted by key. Each secret entry stays a secret Output, so state and previews keep
// the list encrypted; the policy pack, which receives secrets unmarked, reads secretLabels instead.
export function envEntries(
  env: Record<string, pulumi.Input<string>>,
  secretEnv: Record<string, pulumi.Output<string>> = {},
): pulumi.Input<string>[] {
  const plain = Object.entries(env).map(([k, v]) => [k, typeof v === "string" ? `${k}=${v}` : pulumi.interpolate`${k}=${v}`] as const);
  const secret = Object.entries(secretEnv).map(([k, v]) => [k, pulumi.secret(pulumi.interpolate`${k}=${v}`)] as const);
  return [...plain, ...secret].sort(([a], [b]) => a.localeCompare(b)).map(([, entry]) => entry);
}

// What a workload's container gets from its init (components/container/init.ts): the files volumes, one
// per directory of filesPlan(spec).
export interface InitOutputs {
  filesVolumes: pulumi.Input<string>[];
}

// Replica i of a workload; `replica` is undefined for single-instance services.
export function containerArgs(spec: WorkloadSpec, platform: PlatformDefaults, replica?: number, init?: InitOutputs): docker.ContainerArgs {
  const plan = filesPlan(spec);
  if (plan.length && (!init || init.filesVolumes.length !== plan.length))
    throw new Error(`${spec.service}: its files need the init's files volumes (one per directory); deploy it through deployWorkload`);
  return {
    image: spec.image,
    command: spec.command,
    entrypoints: spec.entrypoint,
    user: spec.user,
    envs: envEntries(spec.env, spec.secretEnv),
    labels: Object.entries({ ...labels(spec, platform.environment, replica), ...secretEnvLabel(spec) }).map(([label, value]) => ({ label, value })),
    // Resource limits (CIS 5.11, 5.12): a hard memory limit with no swap on top, a soft reservation, a CPU quota.
    memory: spec.memoryMb,
    memoryReservation: spec.memoryReservationMb,
    memorySwap: spec.memoryMb,
    cpus: dockerCpus(spec.cpus),
    logDriver: "json-file",
    logOpts: logOptions(platform.logging),
    healthcheck: dockerHealthcheck(spec.healthcheck, platform.engine),
    // Docker restarts a crashed container (CIS 5.15: on-failure, at most 5 retries).
    restart: platform.restart.policy,
    maxRetryCount: platform.restart.policy === "on-failure" ? platform.restart.maxRetries : undefined,
    // `pulumi up` waits for the healthcheck, so a dependent starts only after this one is healthy.
    wait: true,
    waitTimeout: healthWaitSeconds(spec.healthcheck),
    // Hardening: no privilege gain, no capabilities beyond those the spec justifies, read-only root.
    init: true,
    securityOpts: ["no-new-privileges:true"],
    capabilities: { drops: ["ALL"], adds: spec.capAdd.map((c) => dockerCapability(c.capability)) },
    readOnly: spec.readOnlyRootFilesystem,
    tmpfs: spec.readOnlyRootFilesystem || spec.tmpfs.length ? tmpfsMounts(spec.tmpfs) : undefined,
    mounts: [
      ...spec.volumes.map((v) => ({ type: "volume", source: v.volumeName, target: v.path, readOnly: v.readOnly })),
      ...(spec.hostMounts ?? []).map((h) => ({ type: "bind", source: h.hostPath, target: h.path, readOnly: true })),
      // Its files, written by the init into a volume per directory, owned by the service's user (0400 for
      // secrets: with every capability dropped, even root in the container cannot read past them).
      ...plan.map((d) => ({ type: "volume", source: init!.filesVolumes[d.index]!, target: d.dir, readOnly: true })),
    ],
    // No default bridge (CIS 5.30): only the platform's networks, found by alias.
    networksAdvanced: spec.networks.map((n) => ({ name: n.ref.name, aliases: networkAliases(n, replica) })),
    ports: spec.ports.map((p) => ({ internal: p.internal, external: p.published, ip: p.address, protocol: "tcp" })),
    // Give in-flight MCP requests time to finish on replacement.
    destroyGraceSeconds: 30,
    stopTimeout: 30,
  };
}
