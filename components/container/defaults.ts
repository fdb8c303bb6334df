// The shared container defaults: every container the platform runs is built here, from its
// WorkloadSpec, so limits, logging, health, restart, labels and hardening cannot be forgotten by one
// component. Plain functions, not resource transforms: transforms do not run under the test mocks.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import type { PlatformConfig } from "../config/schema";
import { HEALTH_WAIT_SECONDS, replicaAlias, type HealthcheckSpec, type WorkloadSpec } from "./spec";

export type PlatformDefaults = Pick<PlatformConfig, "environment" | "logging" | "restart" | "mode" | "swarm">;

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
// secret values unwrapped, with no mark (pulumi/pulumi-policy#241), so the pack reads this label to tell a
// secretEnv entry from a credential pasted into plain env. Names only, never values.
export const SECRET_ENV_LABEL = "dev.mcp-platform.secret-env";
export const SECRET_FILES_LABEL = "dev.mcp-platform.secret-files";
export function secretLabels(spec: Pick<WorkloadSpec, "secretEnv" | "files">): Record<string, string> {
  const out: Record<string, string> = {};
  const env = Object.keys(spec.secretEnv).sort();
  const files = spec.files.filter((f) => f.secret).map((f) => f.path).sort();
  if (env.length) out[SECRET_ENV_LABEL] = env.join(",");
  if (files.length) out[SECRET_FILES_LABEL] = files.join(",");
  return out;
}

export function logOptions(logging: PlatformConfig["logging"]): Record<string, string> {
  return { "max-size": logging.maxSize, "max-file": String(logging.maxFile), labels: LOG_LABELS.join(",") };
}

export function dockerHealthcheck(h: HealthcheckSpec): docker.types.input.ContainerHealthcheck {
  return {
    tests: h.test,
    interval: `${h.intervalSeconds}s`,
    timeout: `${h.timeoutSeconds}s`,
    retries: h.retries,
    startPeriod: `${h.startPeriodSeconds}s`,
    startInterval: "2s",
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

export function uploadDirectories(spec: Pick<WorkloadSpec, "files">): string[] {
  return [...new Set(spec.files.map((f) => path.posix.dirname(f.path)))].sort();
}

function ownership(user: string | undefined): { owner?: string; group?: string } {
  if (!user) return {};
  const [uid, gid] = user.split(":");
  return { owner: uid, group: gid ?? uid };
}

// Replica i of a workload; `replica` is undefined for single-instance services.
export function containerArgs(spec: WorkloadSpec, platform: PlatformDefaults, replica?: number): docker.ContainerArgs {
  return {
    image: spec.image,
    command: spec.command,
    entrypoints: spec.entrypoint,
    user: spec.user,
    envs: envEntries(spec.env, spec.secretEnv),
    labels: Object.entries({ ...labels(spec, platform.environment, replica), ...secretLabels(spec) }).map(([label, value]) => ({ label, value })),
    // Resource limits (CIS 5.11, 5.12): a hard memory limit with no swap on top, a soft reservation, a CPU quota.
    memory: spec.memoryMb,
    memoryReservation: spec.memoryReservationMb,
    memorySwap: spec.memoryMb,
    cpus: String(spec.cpus),
    logDriver: "json-file",
    logOpts: logOptions(platform.logging),
    healthcheck: dockerHealthcheck(spec.healthcheck),
    // Docker restarts a crashed container (CIS 5.15: on-failure, at most 5 retries).
    restart: platform.restart.policy,
    maxRetryCount: platform.restart.policy === "on-failure" ? platform.restart.maxRetries : undefined,
    // `pulumi up` waits for the healthcheck, so a dependent starts only after this one is healthy.
    wait: true,
    waitTimeout: HEALTH_WAIT_SECONDS,
    // Hardening: no privilege gain, no capabilities beyond those the spec justifies, read-only root.
    init: true,
    securityOpts: ["no-new-privileges:true"],
    capabilities: { drops: ["ALL"], adds: spec.capAdd.map((c) => c.capability) },
    readOnly: spec.readOnlyRootFilesystem,
    tmpfs: spec.readOnlyRootFilesystem || spec.tmpfs.length ? tmpfsMounts(spec.tmpfs) : undefined,
    mounts: [
      ...spec.volumes.map((v) => ({ type: "volume", source: v.volumeName, target: v.path, readOnly: v.readOnly })),
      // Docker refuses to copy files into a read-only root filesystem unless the target is on a volume:
      // each uploaded file's directory gets a volume of its own, discarded with the container.
      ...(spec.readOnlyRootFilesystem ? uploadDirectories(spec).map((dir) => ({ type: "volume", target: dir })) : []),
    ],
    uploads: spec.files.map((f) => ({
      file: f.path,
      content: f.secret ? pulumi.secret(f.content) : f.content,
      // Owned by the service's user, which alone can read it: with every capability dropped, even root
      // in the container cannot read past these permission bits.
      ...ownership(spec.user),
      permissions: f.secret ? "0400" : "0444",
    })),
    // No default bridge (CIS 5.30): only the platform's networks, found by alias.
    networksAdvanced: spec.networks.map((n) => ({
      name: n.networkName,
      aliases: n.replicaAliases && replica !== undefined ? [...n.aliases, ...n.aliases.map((a) => replicaAlias(a, replica))] : n.aliases,
    })),
    ports: spec.ports.map((p) => ({ internal: p.internal, external: p.published, ip: p.address, protocol: "tcp" })),
    // Give in-flight MCP requests time to finish on replacement.
    destroyGraceSeconds: 30,
    stopTimeout: 30,
  };
}
