import { nextRun } from './schedule.ts';

const HOUR = 3_600_000;
/** How far ahead a schedule is looked at: a week holds every daily and weekly pattern. */
const HORIZON = 7 * 24 * HOUR;

/**
 * The most runs `schedule` makes in any hour (a sliding 60-minute window) in the week after
 * `from`, counted only until more than `limit` are found: a grant's runs-per-hour check then costs
 * a handful of cron steps for an every-minute schedule, and a week of slots for a legal one.
 */
export function mostRunsInAnyHour(schedule: string, timeZone: string, from: number, limit: number): number {
  const window: number[] = [];
  let most = 0;
  for (
    let at = nextRun(schedule, timeZone, from);
    at <= from + HORIZON;
    at = nextRun(schedule, timeZone, at)
  ) {
    window.push(at);
    while ((window[0] as number) <= at - HOUR) window.shift();
    most = Math.max(most, window.length);
    if (most > limit) return most;
  }
  return most;
}
