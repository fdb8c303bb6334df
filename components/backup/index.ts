// BackupCron: the backup volume (with the restic repository), the optional off-host NFS volume, the
// backup image (the stack's Neo4j image plus restic), and the container that runs backup.sh on the
// stack's cron schedules.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as fs from "fs";
import * as path from "path";
import type { PlatformConfig } from "../config/schema";
import type { PlatformDefaults } from "../container/defaults";
import { serviceImage } from "../container/image";
import type { NetworkRef, VolumeDriver } from "../container/spec";
import { stateVolume } from "../container/volume";
import { deployWorkload } from "../container/workload";
import { networkRef } from "../network";
import { backupSpec, offsiteRestLocation, renderPlatformConfig, type BackupConfig, type BackupScripts } from "./spec";

export interface BackupCronArgs {
  config: BackupConfig;
  platformConfig: PlatformConfig;
  platform: PlatformDefaults;
  stack: string;
  backendNetwork: NetworkRef;
  volumes: Record<string, pulumi.Input<string>>;
  volumePrefix: string;
  protectVolumes: boolean;
  // Neo4j's image reference (neo4j.image) and its pulled id: the backup image is built FROM it.
  neo4jImageName: string;
  neo4jImage: pulumi.Input<string>;
  neo4jPassword: pulumi.Output<string>;
  secrets: Record<string, pulumi.Output<string>>;
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

// The scripts are files next to this one, uploaded as they are in the repository.
export function readBackupScripts(dir: string = __dirname): BackupScripts {
  return {
    backup: fs.readFileSync(path.join(dir, "backup.sh"), "utf8"),
    restore: fs.readFileSync(path.join(dir, "restore.sh"), "utf8"),
  };
}

export class BackupCron extends pulumi.ComponentResource {
  readonly backupVolume: pulumi.Input<string>;
  readonly offsiteVolume?: pulumi.Input<string>;
  // The restic repository's password (secret): what a restore from another host needs.
  readonly password: pulumi.Output<string>;
  readonly containers: docker.Container[];
  // What dependents wait for: its container, or its Swarm service.
  readonly resources: pulumi.Resource[];

  constructor(name: string, args: BackupCronArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:backup:BackupCron", name, {}, opts);
    const c = args.config;
    const stackLabel = { "dev.mcp-platform.stack": args.stack };
    // Holds the archives: protected like the data it copies. Not labelled for backup itself.
    this.backupVolume = stateVolume(
      `${name}-volume`,
      { volumeName: `${args.volumePrefix}-backups`, labels: { ...stackLabel, "dev.mcp-platform.role": "backups" }, protect: args.protectVolumes },
      args.platform,
      { parent: this },
    ).name;
    const nfs = c.offsite?.nfs;
    // Docker's local driver mounts the export on the host when the container starts.
    const offsiteDriver: VolumeDriver | undefined = nfs
      ? { name: "local", options: { type: "nfs", o: `addr=${nfs.address},rw,${nfs.options}`, device: `:${nfs.path}` } }
      : undefined;
    if (offsiteDriver) {
      this.offsiteVolume = stateVolume(
        `${name}-offsite`,
        {
          volumeName: `${args.volumePrefix}-backups-offsite`,
          labels: { ...stackLabel, "dev.mcp-platform.role": "backups-offsite" },
          protect: false,
          driver: offsiteDriver,
        },
        args.platform,
        { parent: this },
      ).name;
    }
    if (c.passwordKey && !args.secrets[c.passwordKey]) throw new Error(`secret ${c.passwordKey} was not loaded (the config loader should have reported it)`);
    // Generated once and kept in state unless the config names one: losing it loses the backups. Protected
    // with the backup volume, so a destroy that keeps the repository keeps its password.
    this.password = c.passwordKey
      ? pulumi.secret(args.secrets[c.passwordKey]!)
      : pulumi.secret(
          new random.RandomPassword(`${name}-password`, { length: 40, special: false }, { parent: this, additionalSecretOutputs: ["result"], protect: args.protectVolumes }).result,
        );
    // The off-host REST repository: its location carries the password (a secret), and the container gets
    // a network of its own with a route out, since the backend network has none.
    const rest = c.offsite?.rest;
    let offsiteRest: { location: pulumi.Output<string>; network: NetworkRef } | undefined;
    if (rest) {
      const restPassword = args.secrets[rest.passwordKey];
      if (!restPassword) throw new Error(`secret ${rest.passwordKey} was not loaded (the config loader should have reported it)`);
      const egress = new docker.Network(
        `${name}-egress`,
        {
          name: `${args.volumePrefix}-backup-egress`,
          driver: args.platform.mode === "swarm" ? "overlay" : "bridge",
          labels: Object.entries({ ...stackLabel, "dev.mcp-platform.role": "backup-egress" }).map(([label, value]) => ({ label, value })),
        },
        { parent: this },
      );
      offsiteRest = { location: pulumi.secret(restPassword.apply((pw) => offsiteRestLocation(rest, pw))), network: networkRef(egress) };
    }
    const image = c.image ? serviceImage(name, { image: c.image }, (ctx) => ctx, args.platform, { parent: this }) : backupImage(name, args, this);
    const spec = backupSpec(c, {
      image,
      stack: args.stack,
      backendNetwork: args.backendNetwork,
      volumes: args.volumes,
      backupVolume: this.backupVolume,
      offsiteVolume: this.offsiteVolume,
      offsiteDriver,
      offsiteRest,
      neo4jPassword: args.neo4jPassword,
      resticPassword: this.password,
      platformConfig: renderPlatformConfig(args.platformConfig, args.stack),
      scripts: readBackupScripts(),
    });
    ({ containers: this.containers, resources: this.resources } = deployWorkload(name, spec, args.platform, {
      parent: this,
      dependsOn: args.dependsOn,
    }));
    this.registerOutputs({ backupVolume: this.backupVolume, offsiteVolume: this.offsiteVolume });
  }
}

// The stack's Neo4j image plus restic and jq (components/backup/image/Dockerfile), built on the stack's
// engine. Rebuilt when the Dockerfile or the Neo4j image changes, and not otherwise, so that a second
// `pulumi up` replaces nothing.
function backupImage(name: string, args: BackupCronArgs, parent: pulumi.Resource): pulumi.Output<string> {
  // Built FROM the stack's Neo4j image (a cypher-shell that matches the server), like any built image:
  // on one host by its image id, on a Swarm pushed to swarm.registry and named by digest.
  return serviceImage(name, { build: { context: path.join(__dirname, "image") } }, (ctx) => ctx, args.platform, { parent }, {
    buildArgs: { NEO4J_IMAGE: args.neo4jImageName },
    triggers: { neo4j: args.neo4jImage },
  });
}
