// The longest time between two runs of a cron schedule, found by walking its runs over a year (bounded).
import { CronExpressionParser } from "cron-parser";

const START = Date.UTC(2026, 0, 1);
const WINDOW_MS = 400 * 24 * 3600 * 1000;
const MAX_RUNS = 10_000;

// Minutes; throws on an expression cron-parser can't read.
export function longestGapMinutes(expression: string): number {
  const it = CronExpressionParser.parse(expression, { currentDate: new Date(START), tz: "UTC" });
  let previous = it.next().getTime();
  let longest = 0;
  for (let n = 0; n < MAX_RUNS && previous < START + WINDOW_MS; n++) {
    const t = it.next().getTime();
    longest = Math.max(longest, t - previous);
    previous = t;
  }
  return longest / 60_000;
}
