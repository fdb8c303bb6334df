import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { backupEnv, backupSpec, renderPlatformConfig } from "../../../components/backup/spec";
import { readBackupScripts } from "../../../components/backup";
import { platformSchema } from "../../../components/config/schema";
import { networkRef } from "../../harness/fixtures";

const config = platformSchema.parse({ backup: { rpoMinutes: 60, schedules: [{ name: "hourly", cron: "0 * * * *" }] } });
const volumes = { "neo4j-data": "mcp-prod-neo4j-data", "neo4j-logs": "mcp-prod-neo4j-logs", "gmail-data": "mcp-prod-gmail-data", "rag-data": "mcp-prod-rag-data" };
const spec = (extra: { offsite?: string } = {}) =>
  backupSpec(config.backup, {
    image: "neo4j:5.26",
    stack: "prod",
    backendNetwork: networkRef("mcp-prod-backend"),
    volumes,
    backupVolume: "mcp-prod-backups",
    offsiteVolume: extra.offsite,
    neo4jPassword: pulumi.output("pw"),
    resticPassword: pulumi.output("repo-pw"),
    platformConfig: renderPlatformConfig(config, "prod"),
    scripts: readBackupScripts(),
  });

describe("the backup container's spec", () => {
  it("gives the policy pack BACKUP_SCHEDULES (JSON name/cron list) and BACKUP_RPO_MINUTES", () => {
    const env = backupEnv(config.backup, "prod", false);
    expect(JSON.parse(env.BACKUP_SCHEDULES!)).toEqual([{ name: "hourly", cron: "0 * * * *" }]);
    expect(env.BACKUP_RPO_MINUTES).toBe("60");
    expect(env).toMatchObject({ BACKUP_KEEP_HOURLY: "24", BACKUP_KEEP_DAILY: "7", BACKUP_KEEP_WEEKLY: "4", NEO4J_URI: "bolt://neo4j:7687" });
    expect(env).toMatchObject({ RESTIC_REPOSITORY: "/backups/restic", BACKUP_DRILL_CRON: "30 3 * * 0", BACKUP_CHECK_READ_DATA_SUBSET: "10%" });
    expect(env.BACKUP_OFFSITE_REPOSITORY).toBeUndefined();
  });

  it("mounts every stateful volume read-only under /volumes, and only the backup volume writable", () => {
    const mounts = spec().volumes;
    expect(mounts.filter((m) => m.readOnly).map((m) => [m.volume, m.path])).toEqual(
      Object.keys(volumes).sort().map((k) => [k, `/volumes/${k}`]),
    );
    expect(mounts.filter((m) => !m.readOnly).map((m) => m.path)).toEqual(["/backups"]);
  });

  it("adds the off-host volume at /offsite, with a second restic repository on it, when one is configured", () => {
    const s = spec({ offsite: "mcp-prod-backups-offsite" });
    expect(s.volumes.filter((m) => !m.readOnly).map((m) => m.path)).toEqual(["/backups", "/offsite"]);
    expect(s.env.BACKUP_OFFSITE_REPOSITORY).toBe("/offsite/restic");
  });

  it("passes the Neo4j and repository passwords only as secret files, never as env", () => {
    expect(spec().secretEnv).toEqual({});
    const secrets = spec().files.filter((f) => f.secret);
    expect(secrets.map((f) => f.path)).toEqual(["/run/backup-secrets/restic-password", "/run/backup-secrets/neo4j-password"]);
    expect(JSON.stringify(spec().env)).not.toMatch(/pw/);
  });

  it("uploads the scripts from the repository and runs the scheduler with bash, on the backend network only", () => {
    const s = spec();
    expect(s.files.filter((f) => !f.secret).map((f) => f.path)).toEqual(["/opt/backup/backup.sh", "/opt/backup/restore.sh", "/opt/backup/platform-config.json"]);
    expect(s.files.find((f) => f.path === "/opt/backup/backup.sh")!.content).toBe(readBackupScripts().backup);
    expect(s.entrypoint).toEqual(["bash", "/opt/backup/backup.sh", "schedule"]);
    expect(s.networks.map((n) => n.network)).toEqual(["backend"]);
    expect(s.ports).toEqual([]);
    expect(s).toMatchObject({ component: "backup", service: "backup", readOnlyRootFilesystem: true, capAdd: [], user: "1000:1000" });
  });

  it("renders the deployment's settings for the archive with secret key names, never secret values", () => {
    const withKey = platformSchema.parse({ backup: { passwordKey: "backupKey" } });
    const rendered = JSON.parse(renderPlatformConfig(withKey, "prod")) as { stack: string; config: { backup: { passwordKey: string } } };
    expect(rendered.stack).toBe("prod");
    expect(rendered.config.backup.passwordKey).toBe("backupKey");
  });
});
