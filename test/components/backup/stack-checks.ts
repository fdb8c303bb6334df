// What every stack's backup container must be, under mocks (shared by the per-stack test files).
import { expect, it } from "vitest";
import { longestGapMinutes } from "../../../components/backup/schedule";
import { reveal, type Evaluation } from "../../harness/program";
import { filesOf, serviceContainers } from "../../stacks/declared";

type Inputs = Record<string, unknown>;
interface Mount {
  type: string;
  source?: string;
  target: string;
  readOnly?: boolean;
}

export function backupContainer(ev: Evaluation) {
  const found = serviceContainers(ev, "backup");
  expect(found).toHaveLength(1);
  return found[0]!;
}
const envOf = (c: { inputs: Inputs }) =>
  Object.fromEntries((reveal(c.inputs.envs) as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

export function itBacksUpTheStack(ev: () => Evaluation, rpoMinutes: number) {
  it("mounts every stateful volume (Platform.volumes) read-only", () => {
    const mounts = reveal(backupContainer(ev()).inputs.mounts) as Mount[];
    const volumes = ev().outputs.volumes as Record<string, string>;
    expect(Object.keys(volumes).length).toBeGreaterThanOrEqual(4);
    for (const [key, name] of Object.entries(volumes)) {
      const m = mounts.find((x) => x.source === name);
      expect(m, key).toMatchObject({ type: "volume", target: `/volumes/${key}`, readOnly: true });
    }
    // Writable: only the backup volume (and the upload directory's scratch volume).
    const writable = mounts.filter((m) => !m.readOnly && m.source).map((m) => m.source);
    expect(writable).toEqual([`mcp-${ev().outputs.environment as string}-backups`]);
  });

  it("has no Docker socket, no host path, no capability and no published port", () => {
    const c = backupContainer(ev());
    const i = reveal(c.inputs) as Inputs;
    for (const m of i.mounts as Mount[]) {
      expect(m.type, m.target).toBe("volume");
      expect(`${m.source ?? ""} ${m.target}`, m.target).not.toMatch(/docker\.sock|^\/var\/run/);
    }
    expect(i.devices ?? []).toEqual([]);
    expect(i.privileged ?? false).toBe(false);
    expect(i.volumes ?? []).toEqual([]);
    expect((i.capabilities as { adds: string[] }).adds).toEqual([]);
    expect(i.ports ?? []).toEqual([]);
    expect(i.readOnly).toBe(true);
  });

  it(`runs on a schedule that meets the stack's RPO (${rpoMinutes} minutes)`, () => {
    const env = envOf(backupContainer(ev()));
    expect(Number(env.BACKUP_RPO_MINUTES)).toBe(rpoMinutes);
    const schedules = JSON.parse(env.BACKUP_SCHEDULES!) as { name: string; cron: string }[];
    expect(schedules.length).toBeGreaterThan(0);
    for (const s of schedules) expect(Object.keys(s).sort()).toEqual(["cron", "name"]);
    expect(longestGapMinutes(schedules.map((s) => s.cron))).toBeLessThanOrEqual(rpoMinutes);
  });

  it("reaches Neo4j on the backend network; its password and the repository's arrive as secret files, not env", () => {
    const c = backupContainer(ev());
    const files = filesOf(ev(), "backup");
    const secret = (p: string) => files.find((f) => f.path === p)!;
    expect(secret("/run/backup-secrets/neo4j-password")).toMatchObject({ mode: "0400", secret: true, content: expect.stringMatching(/^generated-/) as unknown });
    expect(secret("/run/backup-secrets/restic-password")).toMatchObject({ mode: "0400", secret: true, content: expect.stringMatching(/^generated-/) as unknown });
    const env = envOf(c);
    expect(env).toMatchObject({
      RESTIC_REPOSITORY: "/backups/restic",
      RESTIC_PASSWORD_FILE: "/run/backup-secrets/restic-password",
      NEO4J_PASSWORD_FILE: "/run/backup-secrets/neo4j-password",
    });
    expect(Object.keys(env).filter((k) => /PASSWORD$|KEY$|AUTH$/.test(k))).toEqual([]);
    const nets = reveal(c.inputs.networksAdvanced) as { name: string }[];
    expect(nets.map((n) => n.name)).toEqual([`mcp-${ev().outputs.environment as string}-backend`]);
  });

  it("receives its scripts and the rendered config through its init, and runs the scheduler with a weekly restore drill", () => {
    const i = reveal(backupContainer(ev()).inputs) as Inputs;
    expect(filesOf(ev(), "backup").map((f) => f.path).sort()).toEqual([
      "/opt/backup/backup.sh",
      "/opt/backup/platform-config.json",
      "/opt/backup/restore.sh",
      "/run/backup-secrets/neo4j-password",
      "/run/backup-secrets/restic-password",
    ]);
    expect(i.entrypoints).toEqual(["bash", "/opt/backup/backup.sh", "schedule"]);
    expect(i.healthcheck).toMatchObject({ tests: ["CMD", "bash", "/opt/backup/backup.sh", "health"] });
    expect(envOf(backupContainer(ev())).BACKUP_DRILL_CRON).toBe("30 3 * * 0");
  });

  it("runs an image with restic and the server's cypher-shell: built FROM neo4j.image (dev), pulled pinned (prod)", () => {
    const image = ev().byType("docker:index/remoteImage:RemoteImage").find((r) => r.name === "backup-image")!;
    const build = reveal(image.inputs.build) as { context: string; buildArgs: Record<string, string> } | undefined;
    if (build) {
      expect(build.context).toMatch(/components\/backup\/image$/);
      expect(build.buildArgs.NEO4J_IMAGE).toMatch(/^neo4j:5\.26/);
    } else expect(image.inputs.name).toMatch(/\/backup:1\.0\.0@sha256:/);
  });

  it("declares a BackupCron component holding the backup volume", () => {
    expect(ev().byType("mcp-platform:backup:BackupCron")).toHaveLength(1);
    expect(ev().byType("docker:index/volume:Volume").map((v) => v.inputs.name)).toContain(`mcp-${ev().outputs.environment as string}-backups`);
  });
}
