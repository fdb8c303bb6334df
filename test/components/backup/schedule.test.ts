import { spawnSync } from "child_process";
import * as path from "path";
import { CronExpressionParser } from "cron-parser";
import { describe, expect, it } from "vitest";
import { cronProblem, describeMinutes, longestGapMinutes } from "../../../components/backup/schedule";
import { ROOT } from "../../harness/stack-files";

describe("backup schedules", () => {
  it("accepts five numeric cron fields, in UTC", () => {
    for (const expr of ["0 * * * *", "30 2 * * *", "*/15 9-17 * * 1-5", "5,35 */2 1-15 1,6 0-6", "0 0 * * 7"])
      expect(cronProblem(expr), expr).toBeUndefined();
  });

  it("refuses what the container's scheduler cannot evaluate, saying why", () => {
    expect(cronProblem("0 * * * * *")).toMatch(/must be a cron expression of 5 fields .* got 6/);
    expect(cronProblem("@hourly")).toMatch(/must be a cron expression of 5 fields/);
    expect(cronProblem("0 0 * JAN MON")).toMatch(/must use numbers with \* , - \/ only/);
    expect(cronProblem("0 0 L * *")).toMatch(/must use numbers/);
    expect(cronProblem("61 * * * *")).toMatch(/is not a valid cron expression .*61/);
    expect(cronProblem("*/0 * * * *")).toMatch(/is not a valid cron expression/);
    expect(cronProblem("0 0 30 2 *")).toMatch(/is not a valid cron expression/);
  });

  it("finds the longest time between two backups", () => {
    expect(longestGapMinutes(["0 * * * *"])).toBe(60);
    expect(longestGapMinutes(["30 2 * * *"])).toBe(1440);
    expect(longestGapMinutes(["*/15 * * * *"])).toBe(15);
    expect(longestGapMinutes(["* * * * *"])).toBe(1);
    // Office hours only: Friday 17:00 to Monday 09:00.
    expect(longestGapMinutes(["0 9-17 * * 1-5"])).toBe(64 * 60);
    // Monthly: the longest month is 31 days.
    expect(longestGapMinutes(["0 0 1 * *"])).toBe(31 * 1440);
    // Leap day only: four years apart.
    expect(longestGapMinutes(["0 0 29 2 *"])).toBe((3 * 365 + 366) * 1440);
  });

  it("counts every schedule's runs together: each run is a full backup", () => {
    expect(longestGapMinutes(["0 0 * * *", "0 12 * * *"])).toBe(720);
    expect(longestGapMinutes(["0 */2 * * *", "0 1-23/2 * * *"])).toBe(60);
  });

  it("uses cron-parser's day rule: both day fields restricted means either day runs", () => {
    // The 13th or any Friday: never more than a week apart.
    expect(longestGapMinutes(["0 0 13 * 5"])).toBe(7 * 1440);
  });

  it("describes gaps in the unit a person would use", () => {
    expect(describeMinutes(60)).toBe("1 hour (60 minutes)");
    expect(describeMinutes(1440)).toBe("1 day (1440 minutes)");
    expect(describeMinutes(90)).toBe("90 minutes");
    expect(describeMinutes(Infinity)).toBe("more than eight years");
  });
});

describe("the container's cron matcher (backup.sh cron-match)", () => {
  // The container has no cron daemon and no Node: backup.sh evaluates the expressions itself. It must
  // run a backup at exactly the minutes cron-parser (which validated the config) says.
  const expressions = ["0 * * * *", "30 2 * * *", "*/15 9-17 * * 1-5", "5,35 */2 1-15 1,6 *", "0 0 13 * 5", "0 12 * * 0", "0 12 * * 7", "10-50/20 3 * 2-11/3 1-3"];
  const start = Date.UTC(2028, 0, 1);
  // A deterministic spread of minutes over two years, plus the exact runs of each expression.
  const sample = Array.from({ length: 400 }, (_, i) => start + ((i * 7919 * 60_000) % (2 * 366 * 86_400_000)));

  it.each(expressions)("agrees with cron-parser on %s", (expr) => {
    const runs: number[] = [];
    const it = CronExpressionParser.parse(expr, { tz: "UTC", currentDate: new Date(start - 1000) });
    for (let i = 0; i < 40; i++) runs.push(it.next().getTime());
    const times = [...new Set([...sample.map((t) => t - (t % 60_000)), ...runs])].sort((a, b) => a - b);
    const result = spawnSync("bash", [path.join(ROOT, "components/backup/backup.sh"), "cron-match", expr, ...times.map((t) => String(t / 1000))], {
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    const bash = new Map(result.stdout.trim().split("\n").map((l) => l.split(" ") as [string, string]));
    for (const t of times) {
      const p = CronExpressionParser.parse(expr, { tz: "UTC", currentDate: new Date(t - 1000) });
      const expected = p.next().getTime() === t ? "1" : "0";
      expect(bash.get(String(t / 1000)), `${expr} at ${new Date(t).toISOString()}`).toBe(expected);
    }
  });
});
