/**
 * When a CleanupPolicy runs: its 5-field cron schedule read as wall-clock time in an IANA time
 * zone, computed with croner (no timers are started; these functions are pure given `now`).
 *
 * - **Fields.** minute hour day-of-month month day-of-week, as `crds/cron.ts` accepts them; day of
 *   week 0 and 7 are Sunday; when both day fields are restricted, a day matching either runs
 *   (Vixie cron's OR, croner's `domAndDow: false`).
 * - **Daylight saving** (croner's rules for a fixed time, i.e. single minute and hour values): a
 *   time that does not exist on a spring-forward day runs once, at the first valid time after the
 *   gap (`30 2 * * *` in Europe/Berlin on 2026-03-29 runs at 03:00 CEST); a time that occurs twice
 *   on a fall-back day runs once, at its first occurrence. Schedules with wildcards or steps in
 *   minute or hour (e.g. every 30 minutes) follow elapsed time through both changes: no run is
 *   skipped or doubled.
 * - **Missed runs collapse.** A run is due when the latest slot at or before `now` is later than the
 *   last run (or the creation time): however many slots passed while the operator was down, that
 *   is one run, and the next is the next future slot.
 */
import { Cron } from 'croner';
import { CRON_PATTERN } from '../../crds/cron.ts';

const FIVE_FIELDS = new RegExp(CRON_PATTERN);

function cron(schedule: string, timeZone: string): Cron {
  // 5-part mode: croner would otherwise read a sixth field as seconds.
  return new Cron(schedule, { timezone: timeZone, mode: '5-part', domAndDow: false });
}

/** Whether `timeZone` is a time zone this runtime knows (its ICU data decides). */
function knownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a schedule and its time zone; returns an error message naming the field
 * (`spec.schedule` or `spec.timeZone`), or undefined when both are valid and the schedule runs
 * after `now` (milliseconds since the epoch: the reconciler's clock, so tests choose the moment).
 */
export function validateSchedule(schedule: string, timeZone: string, now: number): string | undefined {
  if (!FIVE_FIELDS.test(schedule)) {
    return `spec.schedule "${schedule}" is not a 5-field cron expression (minute hour day-of-month month day-of-week)`;
  }
  if (!knownTimeZone(timeZone)) {
    return `spec.timeZone "${timeZone}" is not a known IANA time zone (e.g. Europe/Berlin or UTC)`;
  }
  let job: Cron;
  try {
    job = cron(schedule, timeZone);
  } catch (err) {
    return `spec.schedule "${schedule}" is invalid: ${err instanceof Error ? err.message : String(err)}`;
  }
  // A pattern such as "0 3 30 2 *" (February 30) is well-formed but never fires.
  if (job.nextRun(new Date(now)) === null) return `spec.schedule "${schedule}" never runs`;
  return undefined;
}

/**
 * The next slot strictly after `after` (milliseconds since the epoch). Throws when the schedule or
 * time zone is invalid or the schedule never runs: call {@link validateSchedule} first.
 */
export function nextRun(schedule: string, timeZone: string, after: number): number {
  const next = cron(schedule, timeZone).nextRun(new Date(after));
  if (next === null)
    throw new Error(`spec.schedule "${schedule}" has no run after ${new Date(after).toISOString()}`);
  return next.getTime();
}

/** The latest slot at or before `at`, or undefined when there is none. */
function latestSlot(schedule: string, timeZone: string, at: number): number | undefined {
  // previousRuns excludes a slot exactly at its reference; one millisecond later includes it, and
  // cannot include a later slot, since slots fall on whole minutes.
  const [slot] = cron(schedule, timeZone).previousRuns(1, new Date(at + 1));
  return slot?.getTime();
}

/**
 * Whether a run is due at `now`: the latest slot at or before `now` is later than `lastRunAt` (or
 * than `createdAt` when never run). Missed slots collapse: one run, however many were missed.
 * `slot` is that slot when due; `next` is the first slot strictly after `now`. Recording the run's
 * start time (or `slot`) as lastRunAt makes the same slot not due again. Throws like {@link nextRun}.
 */
export function dueRun(input: {
  schedule: string;
  timeZone: string;
  now: number;
  lastRunAt?: number | undefined;
  createdAt: number;
}): { due: boolean; slot?: number; next: number } {
  const { schedule, timeZone, now } = input;
  const next = nextRun(schedule, timeZone, now);
  const slot = latestSlot(schedule, timeZone, now);
  const since = input.lastRunAt ?? input.createdAt;
  if (slot !== undefined && slot > since) return { due: true, slot, next };
  return { due: false, next };
}

/**
 * Whether the `berth.dev/run-requested-at` annotation asks for a run that has not been made: any
 * value other than the last one handled (`status.lastHandledRunRequestAt`), as Flux treats
 * `reconcile.fluxcd.io/requestedAt`. Comparing the request's time with `lastRunAt` instead, as
 * berth once did, ran twice when both fell in the same second (status keeps whole seconds): a dry
 * run asked for, then `dryRun: false`, deleted without being asked. Policies whose status predates
 * the handled value keep the old rule once, compared at status precision.
 */
export function runRequested(input: {
  requested: string | undefined;
  lastHandled: string | undefined;
  lastRunAt: number | undefined;
}): boolean {
  const { requested, lastHandled, lastRunAt } = input;
  if (requested === undefined || requested === '') return false;
  if (lastHandled !== undefined) return requested !== lastHandled;
  if (lastRunAt === undefined) return true;
  const at = Date.parse(requested);
  return !Number.isNaN(at) && Math.floor(at / 1000) * 1000 > lastRunAt;
}
