import { describe, expect, it } from "vitest";
import { longestGapMinutes } from "../../../components/backup/schedule";
import { backupCoversStatefulVolumes } from "../../../policies/stack/backup-covers-stateful-volumes";
import { UNKNOWN_STRING, runPolicy } from "../../harness/policy";
import { container, expectClean, expectUndecided, expectViolations, service, volume, withLabels } from "../fixtures";

const volumes = [volume("mcp-prod-neo4j-data"), volume("mcp-prod-gmail-data"), volume("scratch", false)];
const backup = (schedules: unknown, rpo = "60", mounted = ["mcp-prod-neo4j-data", "mcp-prod-gmail-data"], readOnly = true) =>
  withLabels(
    container(
      {
        envs: [`BACKUP_SCHEDULES=${typeof schedules === "string" ? schedules : JSON.stringify(schedules)}`, `BACKUP_RPO_MINUTES=${rpo}`],
        mounts: mounted.map((source) => ({ type: "volume", source, target: `/volumes/${source}`, readOnly })),
      },
      "backup",
    ),
    { service: "backup", component: "backup" },
  );
const hourly = [{ name: "volumes", cron: "0 * * * *" }];

describe("backup-covers-stateful-volumes", () => {
  it("finds the longest gap between two backups of the schedules together", () => {
    expect(longestGapMinutes(["0 * * * *"])).toBe(60);
    expect(longestGapMinutes(["*/15 * * * *"])).toBe(15);
    expect(longestGapMinutes(["0 2 * * *"])).toBe(1440);
    expect(longestGapMinutes(["0 1 * * 0"])).toBe(7 * 1440);
    expect(longestGapMinutes(["0 9-17 * * 1-5"])).toBe(64 * 60); // Friday 17:00 to Monday 09:00
    expect(longestGapMinutes(["0 0-11 * * *", "0 12-23 * * *"])).toBe(60); // two halves of the day
  });
  it("passes two schedules that together run every hour, though neither does alone", async () => {
    const halves = [{ name: "am", cron: "0 0-11 * * *" }, { name: "pm", cron: "0 12-23 * * *" }];
    expectClean(await runPolicy(backupCoversStatefulVolumes, [...volumes, backup(halves)]));
  });
  it("passes a backup container that mounts every stateful volume read-only on an hourly schedule", async () => {
    expectClean(await runPolicy(backupCoversStatefulVolumes, [...volumes, backup(hourly)]));
  });
  it("reports a stack with stateful volumes and no backup container at all", async () => {
    expectViolations(await runPolicy(backupCoversStatefulVolumes, volumes), [
      "This stack has no backup container (component backup), so mcp-prod-neo4j-data, mcp-prod-gmail-data are not backed up. Enable backups",
    ]);
  });
  it("reports the runbook's daily 02:00 backup against its 1-hour RPO", async () => {
    expectViolations(await runPolicy(backupCoversStatefulVolumes, [...volumes, backup([{ name: "daily", cron: "0 2 * * *" }])]), [
      'Backup schedule daily ("0 2 * * *") leaves up to 1440 minutes between backups, more than the 60-minute RPO',
    ]);
  });
  it("holds the backup to the stricter of its own BACKUP_RPO_MINUTES and the config's rpoMinutes", async () => {
    const every2h = [{ name: "volumes", cron: "0 */2 * * *" }];
    expectClean(await runPolicy(backupCoversStatefulVolumes, [...volumes, backup(every2h, "180")]));
    expectViolations(await runPolicy(backupCoversStatefulVolumes, [...volumes, backup(every2h, "180")], { rpoMinutes: 60 }), ["more than the 60-minute RPO"]);
  });
  it("reports a stateful volume not mounted, or mounted writable, in the backup container", async () => {
    expectViolations(await runPolicy(backupCoversStatefulVolumes, [...volumes, backup(hourly, "60", ["mcp-prod-neo4j-data"])]), ["Stateful volume mcp-prod-gmail-data is not mounted read-only"]);
    expectViolations(await runPolicy(backupCoversStatefulVolumes, [...volumes, backup(hourly, "60", ["mcp-prod-neo4j-data", "mcp-prod-gmail-data"], false)]), ["mcp-prod-neo4j-data"], ["mcp-prod-gmail-data"]);
  });
  it("on a Swarm, where no docker.Volume is declared, counts the named volumes services write", async () => {
    // service() mounts the named volume gmail-data writable; no Volume resource labels it.
    expectViolations(await runPolicy(backupCoversStatefulVolumes, [service(), backup(hourly, "60", [])]), ["Stateful volume gmail-data is not mounted read-only"]);
    expectClean(await runPolicy(backupCoversStatefulVolumes, [service(), backup(hourly, "60", ["gmail-data"])]));
  });
  it("reports missing and invalid schedules", async () => {
    expectViolations(await runPolicy(backupCoversStatefulVolumes, [...volumes, backup("not json")]), ["has no schedule (BACKUP_SCHEDULES"]);
    expectViolations(await runPolicy(backupCoversStatefulVolumes, [...volumes, backup([{ name: "bad", cron: "61 * * * *" }])]), ['Backup schedule bad has an invalid cron "61 * * * *"']);
  });
  it("can't decide while the backup's schedule is among env entries unknown until apply", async () => {
    const b = backup(hourly);
    expectUndecided(await runPolicy(backupCoversStatefulVolumes, [...volumes, { ...b, props: { ...b.props, envs: [UNKNOWN_STRING] } }]), "BACKUP_SCHEDULES of backup");
  });
  it("decides when only a generated password beside the schedule is unknown (the stack plans that env list unknown whole)", async () => {
    const b = backup(hourly);
    const envs = [...(b.props.envs as string[]), UNKNOWN_STRING];
    expectClean(await runPolicy(backupCoversStatefulVolumes, [...volumes, { ...b, props: { ...b.props, envs }, outputs: { ...b.props, envs: UNKNOWN_STRING }, propertyDependencies: { envs: ["neo4j-password"] } }], { rpoMinutes: 60 }));
  });
});
