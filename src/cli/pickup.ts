import { humanDuration } from './format/time.ts';

/**
 * How long the operator may take to answer a request (an annotation the CLI set) before the CLI
 * suggests it is not running. Its watch delivers the change within a second or so and a busy work
 * queue adds a few more; before this, "not running?" would mislead more often than help.
 */
export const PICKUP_GRACE_MS = 10_000;

/**
 * What a wait says while the operator has not answered the request, `waitedMs` after it was made
 * (on the CLI's own clock, `Io.now`). The text does not count the seconds: where stderr is not a
 * terminal, a wait prints a line per change of text, and a counter would print one per poll.
 */
export function notPickedUp(waitedMs: number): string {
  return waitedMs < PICKUP_GRACE_MS
    ? 'waiting for the operator to pick up the request'
    : `the operator has not picked up the request within ${humanDuration(PICKUP_GRACE_MS)} (not running? berth check)`;
}
