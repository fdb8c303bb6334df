// BackupCron: the backup volume, the optional off-host NFS volume, and the container that runs
// backup.sh on the stack's cron schedules.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import type { PlatformConfig } from "../config/schema";
import type { PlatformDefaults } from "../container/defaults";
import { serviceImage } from "../container/image";
import { deployContainers } from "../container/workload";
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
  neo4jImage: string;
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
  readonly backupVolume: docker.Volume;
  readonly offsiteVolume?: docker.Volume;
  readonly containers: docker.Container[];

  constructor(name: string, args: BackupCronArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-platform:backup:BackupCron", name, {}, opts);
    const c = args.config;
    const stackLabel = { label: "dev.mcp-platform.stack", value: args.stack };
    // Holds the archives: protected like the data it copies. Not labelled for backup itself.
    this.backupVolume = new docker.Volume(
      `${name}-volume`,
      { name: `${args.volumePrefix}-backups`, labels: [stackLabel, { label: "dev.mcp-platform.role", value: "backups" }] },
      { parent: this, protect: args.protectVolumes },
    );
    const nfs = c.offsite?.nfs;
    if (nfs) {
      // Docker's local driver mounts the export on the host when the container starts.
      this.offsiteVolume = new docker.Volume(
        `${name}-offsite`,
        {
          name: `${args.volumePrefix}-backups-offsite`,
          driver: "local",
          driverOpts: { type: "nfs", o: `addr=${nfs.address},rw,${nfs.options}`, device: `:${nfs.path}` },
          labels: [stackLabel, { label: "dev.mcp-platform.role", value: "backups-offsite" }],
        },
        { parent: this },
      );
    }
    const encryptionKey = c.encryptionKey ? args.secrets[c.encryptionKey] : undefined;
    if (c.encryptionKey && !encryptionKey) throw new Error(`secret ${c.encryptionKey} was not loaded (the config loader should have reported it)`);
    const image = serviceImage(name, { image: c.image ?? args.neo4jImage }, (ctx) => ctx, { parent: this });
    const spec = backupSpec(c, {
      image,
      stack: args.stack,
      backendNetwork: args.backendNetwork,
      volumes: args.volumes,
      backupVolume: this.backupVolume.name,
      offsiteVolume: this.offsiteVolume?.name,
      neo4jPassword: args.neo4jPassword,
      encryptionKey,
      platformConfig: renderPlatformConfig(args.platformConfig, args.stack),
      scripts: readBackupScripts(),
    });
    this.containers = deployContainers(name, spec, args.platform, { parent: this, dependsOn: args.dependsOn }).containers;
    this.registerOutputs({ backupVolume: this.backupVolume.name, offsiteVolume: this.offsiteVolume?.name });
  }
}
