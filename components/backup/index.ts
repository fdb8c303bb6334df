// BackupCron: the backup volume, the optional off-host NFS volume, and the container that runs
// backup.sh on the stack's cron schedules.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import type { PlatformConfig } from "../config/schema";
import type { PlatformDefaults } from "../container/defaults";
import { serviceImage } from "../container/image";
import type { VolumeDriver } from "../container/spec";
import { stateVolume } from "../container/volume";
import { deployWorkload } from "../container/workload";
import { backupSpec, renderPlatformConfig, type BackupConfig, type BackupScripts } from "./spec";

export interface BackupCronArgs {
  config: BackupConfig;
  platformConfig: PlatformConfig;
  platform: PlatformDefaults;
  stack: string;
  backendNetwork: pulumi.Input<string>;
  volumes: Record<string, pulumi.Input<string>>;
  volumePrefix: string;
  protectVolumes: boolean;
  // Neo4j's pulled image, used unless backup.image names another.
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
    const encryptionKey = c.encryptionKey ? args.secrets[c.encryptionKey] : undefined;
    if (c.encryptionKey && !encryptionKey) throw new Error(`secret ${c.encryptionKey} was not loaded (the config loader should have reported it)`);
    const image = c.image ? serviceImage(name, { image: c.image }, (ctx) => ctx, args.platform, { parent: this }) : args.neo4jImage;
    const spec = backupSpec(c, {
      image,
      stack: args.stack,
      backendNetwork: args.backendNetwork,
      volumes: args.volumes,
      backupVolume: this.backupVolume,
      offsiteVolume: this.offsiteVolume,
      offsiteDriver,
      neo4jPassword: args.neo4jPassword,
      encryptionKey,
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
