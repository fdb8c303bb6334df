// The backup container as a WorkloadSpec: the scheduler script, read-only mounts of every stateful
// volume, the backup volume holding the restic repository, Neo4j's and the repository's passwords as
// secret files, and no Docker socket.
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config/schema";
import { healthcheck, type NetworkRef, type VolumeDriver, type VolumeMountSpec, type WorkloadSpec } from "../container/spec";
import { NEO4J_URI, NEO4J_USER } from "../neo4j/spec";

export type BackupConfig = PlatformConfig["backup"];

export const BACKUP_ALIAS = "backup";
// Where things live inside the container.
export const SHARE_DIR = "/opt/backup";
export const BACKUP_DIR = "/backups";
export const VOLUMES_DIR = "/volumes";
export const OFFSITE_DIR = "/offsite";
// The restic repositories: on the backups volume, and on the off-host volume when there is one.
export const REPOSITORY = `${BACKUP_DIR}/restic`;
export const OFFSITE_REPOSITORY = `${OFFSITE_DIR}/restic`;
// Secrets arrive as files (mode 0400, the backup user's), never in the container's environment.
export const SECRETS_DIR = "/run/backup-secrets";
export const RESTIC_PASSWORD_FILE = `${SECRETS_DIR}/restic-password`;
export const NEO4J_PASSWORD_FILE = `${SECRETS_DIR}/neo4j-password`;
// The off-host REST repository: its location with the user and password in it (restic
// --repository-file: a secret file, never the environment), and the CA of the server's certificate.
export const OFFSITE_REPOSITORY_FILE = `${SECRETS_DIR}/offsite-repository`;
export const OFFSITE_CACERT = `${SHARE_DIR}/offsite-ca.pem`;
// The status file the health monitor reads: the time of the last verified backup, against the RPO.
export const STATUS_FILE = `${BACKUP_DIR}/status.json`;

export interface BackupScripts {
  backup: string;
  restore: string;
}

export interface BackupInputs {
  image: pulumi.Input<string>;
  stack: string;
  backendNetwork: NetworkRef;
  // The platform's stateful volumes (Platform.volumes): key -> Docker volume name.
  volumes: Record<string, pulumi.Input<string>>;
  backupVolume: pulumi.Input<string>;
  offsiteVolume?: pulumi.Input<string>;
  offsiteDriver?: VolumeDriver;
  // The off-host REST repository: its location with credentials (a secret), and the network that gives
  // the container its way out (the backend network has none).
  offsiteRest?: { location: pulumi.Output<string>; network: NetworkRef };
  neo4jPassword: pulumi.Output<string>;
  resticPassword: pulumi.Output<string>;
  // The deployment's own settings, rendered without secrets (renderPlatformConfig).
  platformConfig: string;
  scripts: BackupScripts;
}

// The environment the policy pack reads: BACKUP_SCHEDULES and BACKUP_RPO_MINUTES, with the rest the
// script needs.
export function backupEnv(c: BackupConfig, stack: string, offsite: boolean): Record<string, string> {
  return {
    BACKUP_SCHEDULES: JSON.stringify(c.schedules.map((s) => ({ name: s.name, cron: s.cron }))),
    BACKUP_RPO_MINUTES: String(c.rpoMinutes),
    BACKUP_KEEP_HOURLY: String(c.retention.hourly),
    BACKUP_KEEP_DAILY: String(c.retention.daily),
    BACKUP_KEEP_WEEKLY: String(c.retention.weekly),
    BACKUP_CHECK_READ_DATA_SUBSET: c.checkReadDataSubset,
    ...(c.restoreDrill.enabled ? { BACKUP_DRILL_CRON: c.restoreDrill.cron } : {}),
    // The drill's scratch Neo4j gets a third of the container's memory as heap, a twelfth as page cache.
    BACKUP_DRILL_HEAP: `${Math.floor(c.memoryMb / 3)}m`,
    BACKUP_DRILL_PAGECACHE: `${Math.floor(c.memoryMb / 12)}m`,
    RESTIC_REPOSITORY: REPOSITORY,
    RESTIC_PASSWORD_FILE,
    NEO4J_PASSWORD_FILE,
    BACKUP_STACK: stack,
    BACKUP_DIR,
    BACKUP_VOLUMES_DIR: VOLUMES_DIR,
    BACKUP_SHARE_DIR: SHARE_DIR,
    ...(offsite ? { BACKUP_OFFSITE_REPOSITORY: OFFSITE_REPOSITORY } : {}),
    ...(c.offsite?.rest ? { BACKUP_OFFSITE_REPOSITORY_FILE: OFFSITE_REPOSITORY_FILE } : {}),
    ...(c.offsite?.rest?.caCertificate ? { BACKUP_OFFSITE_CACERT: OFFSITE_CACERT } : {}),
    NEO4J_URI,
    NEO4J_USERNAME: NEO4J_USER,
    // cypher-shell (a JVM) wants a writable home; the root filesystem is read-only.
    HOME: "/tmp",
    TZ: "UTC",
  };
}

// What a restore needs of the deployment's own settings: the validated configuration. It holds no
// secret values, only the names of the secret config keys.
export function renderPlatformConfig(config: PlatformConfig, stack: string): string {
  return `${JSON.stringify({ stack, config }, null, 2)}\n`;
}

export function backupVolumeMounts(inputs: Pick<BackupInputs, "volumes" | "backupVolume" | "offsiteVolume" | "offsiteDriver">): VolumeMountSpec[] {
  const mounts: VolumeMountSpec[] = Object.entries(inputs.volumes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, volumeName]) => ({ volume: key, volumeName, path: `${VOLUMES_DIR}/${key}`, readOnly: true }));
  mounts.push({ volume: "backups", volumeName: inputs.backupVolume, path: BACKUP_DIR, readOnly: false });
  if (inputs.offsiteVolume)
    mounts.push({ volume: "backup-offsite", volumeName: inputs.offsiteVolume, path: OFFSITE_DIR, readOnly: false, driver: inputs.offsiteDriver });
  return mounts;
}

// restic's location of the off-host REST repository: the URL with the user and password in it
// (percent-encoded by URL), prefixed rest:.
export function offsiteRestLocation(rest: NonNullable<NonNullable<BackupConfig["offsite"]>["rest"]>, password: string): string {
  const url = new URL(rest.url);
  url.username = rest.username;
  url.password = password;
  return `rest:${url.toString()}`;
}

export function backupSpec(c: BackupConfig, inputs: BackupInputs): WorkloadSpec {
  return {
    service: BACKUP_ALIAS,
    component: "backup",
    image: inputs.image,
    // Uploaded files are not executable: bash runs them.
    entrypoint: ["bash", `${SHARE_DIR}/backup.sh`, "schedule"],
    user: c.user,
    replicas: 1,
    memoryMb: c.memoryMb,
    memoryReservationMb: Math.floor(c.memoryMb / 2),
    cpus: c.cpus,
    env: backupEnv(c, inputs.stack, Boolean(inputs.offsiteVolume)),
    secretEnv: {},
    files: [
      { path: RESTIC_PASSWORD_FILE, content: inputs.resticPassword, secret: true },
      { path: NEO4J_PASSWORD_FILE, content: inputs.neo4jPassword, secret: true },
      { path: `${SHARE_DIR}/backup.sh`, content: inputs.scripts.backup, secret: false },
      { path: `${SHARE_DIR}/restore.sh`, content: inputs.scripts.restore, secret: false },
      { path: `${SHARE_DIR}/platform-config.json`, content: inputs.platformConfig, secret: false },
      ...(inputs.offsiteRest ? [{ path: OFFSITE_REPOSITORY_FILE, content: inputs.offsiteRest.location, secret: true }] : []),
      ...(c.offsite?.rest?.caCertificate ? [{ path: OFFSITE_CACERT, content: c.offsite.rest.caCertificate, secret: false }] : []),
    ],
    volumes: backupVolumeMounts(inputs),
    readOnlyRootFilesystem: true,
    tmpfs: ["/tmp"],
    capAdd: [],
    // The backend network: it reaches neo4j:7687. With an off-host REST repository, also a network of its
    // own with a route out (no other container is on it).
    networks: [
      { network: "backend", ref: inputs.backendNetwork, aliases: [BACKUP_ALIAS] },
      ...(inputs.offsiteRest ? [{ network: "backup-egress", ref: inputs.offsiteRest.network, aliases: [] }] : []),
    ],
    ports: [],
    // The scheduler ticks every minute (or a backup is running); staleness against the RPO is the
    // health monitor's alert, from the status file.
    healthcheck: healthcheck(["CMD", "bash", `${SHARE_DIR}/backup.sh`, "health"], { intervalSeconds: 60, startPeriodSeconds: 30 }),
    stateful: true,
  };
}
