// Backup schedules: cron expressions validated with cron-parser (a maintained parser, so that what the
// config accepts is what cron means, ranges, steps and the day-of-month/day-of-week rule included),
// and the longest time between two backups they allow, which must not exceed the RPO.
import { CronExpressionParser } from "cron-parser";

export interface BackupSchedule {
  name: string;
  cron: string;
}

// The form the backup container's scheduler (backup.sh) evaluates: five numeric fields.
const FIELD = /^[0-9*,/-]+$/;

// Why a cron expression cannot be used, or undefined when it can.
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5)
    return `must be a cron expression of 5 fields (minute hour day-of-month month day-of-week, in UTC), got ${fields.length} in "${expr}"`;
  if (!fields.every((f) => FIELD.test(f)))
    return `must use numbers with * , - / only (no names, @macros, L, W or #) in "${expr}": the backup container's scheduler reads that form`;
  try {
    CronExpressionParser.parse(expr, { tz: "UTC" });
  } catch (e) {
    return `is not a valid cron expression ("${expr}"): ${(e as Error).message}`;
  }
  return undefined;
}

const MINUTES_PER_DAY = 1440;
const DAY_MS = 86_400_000;
// Eight years from a leap year: every month length, February 29 and each weekday alignment recur in it.
const WINDOW_START = Date.UTC(2028, 0, 1);
const WINDOW_DAYS = 8 * 365 + 2;

interface Parsed {
  minutes: number[];
  runsOn(date: Date): boolean;
}

// The fields as cron-parser expanded them, with its day rule: when both day fields are restricted
// (neither starts with *), a day matches either; otherwise it must match both.
function parse(expr: string): Parsed {
  const raw = expr.trim().split(/\s+/);
  const { minute, hour, dayOfMonth, month, dayOfWeek } = CronExpressionParser.parse(expr, { tz: "UTC" }).fields;
  const minutes = hour.values.flatMap((h) => minute.values.map((m) => Number(h) * 60 + Number(m))).sort((a, b) => a - b);
  const doms = new Set(dayOfMonth.values.map(Number));
  const months = new Set(month.values.map(Number));
  const dows = new Set(dayOfWeek.values.map((d) => Number(d) % 7));
  const either = !raw[2]!.startsWith("*") && !raw[4]!.startsWith("*");
  return {
    minutes,
    runsOn(date) {
      if (!months.has(date.getUTCMonth() + 1)) return false;
      const dom = doms.has(date.getUTCDate());
      const dow = dows.has(date.getUTCDay());
      return either ? dom || dow : dom && dow;
    },
  };
}

// The longest time, in minutes, between two consecutive backups when every schedule runs a backup
// (each run exports Neo4j, so any run restarts the RPO clock). Infinity when they run at most once in
// the eight years looked at.
export function longestGapMinutes(crons: string[]): number {
  const schedules = crons.map(parse);
  // Per combination of schedules running on a day: its first and last run and its longest inner gap.
  const combos = new Map<string, { first: number; last: number; inner: number }>();
  let previousLast: number | undefined;
  let longest = 0;
  let runs = 0;
  for (let day = 0; day < WINDOW_DAYS; day++) {
    const date = new Date(WINDOW_START + day * DAY_MS);
    const running = schedules.flatMap((s, i) => (s.runsOn(date) ? [i] : []));
    if (running.length === 0) continue;
    const key = running.join(",");
    let combo = combos.get(key);
    if (!combo) {
      const minutes = [...new Set(running.flatMap((i) => schedules[i]!.minutes))].sort((a, b) => a - b);
      let inner = 0;
      for (let k = 1; k < minutes.length; k++) inner = Math.max(inner, minutes[k]! - minutes[k - 1]!);
      combo = { first: minutes[0]!, last: minutes[minutes.length - 1]!, inner };
      combos.set(key, combo);
    }
    runs += combo.first === combo.last ? 1 : 2;
    longest = Math.max(longest, combo.inner);
    if (previousLast !== undefined) longest = Math.max(longest, day * MINUTES_PER_DAY + combo.first - previousLast);
    previousLast = day * MINUTES_PER_DAY + combo.last;
  }
  return runs < 2 ? Infinity : longest;
}

export function describeMinutes(m: number): string {
  if (!Number.isFinite(m)) return "more than eight years";
  if (m % MINUTES_PER_DAY === 0) return `${m / MINUTES_PER_DAY} day${m === MINUTES_PER_DAY ? "" : "s"} (${m} minutes)`;
  if (m % 60 === 0) return `${m / 60} hour${m === 60 ? "" : "s"} (${m} minutes)`;
  return `${m} minutes`;
}
