/**
 * Scopes a credential does not reach yet (Quay grants only repositories that exist): what the
 * status says about them, and how soon the token looks again. Pure, so tested on its own.
 */
import type { ScopeUpdate } from '../../clients/provider.ts';
import { toMetaTime } from '../runtime/conditions.ts';
import type { TokenStatus } from './lifecycle.ts';

/** The first looks after a scope problem appears are this far apart (a repository pushed a moment later). */
export const SCOPE_RECHECK_MIN_MS = 5_000;

/** At most this many problem lines are kept, each at most this long (the CRD's limits). */
const MAX_PROBLEMS = 32;
const MAX_PROBLEM_LENGTH = 512;

/**
 * Records what the provider said of the credential's scopes: the problems, since when (reset when
 * a problem appears that was not there, so a new one is looked at again within seconds; kept while
 * the same ones last, so the recheck backs off), and whether the credential reaches nothing at all.
 * Returns true when the problems changed (worth an Event).
 */
export function recordScopes(status: TokenStatus, update: ScopeUpdate | undefined, now: number): boolean {
  const previous = status.scopeProblems ?? [];
  const before = JSON.stringify(previous);
  const problems = [...new Set(update?.problems ?? [])]
    .slice(0, MAX_PROBLEMS)
    .map((line) => (line.length > MAX_PROBLEM_LENGTH ? `${line.slice(0, MAX_PROBLEM_LENGTH - 1)}…` : line));
  if (problems.length > 0) {
    const appeared = problems.some((line) => !previous.includes(line));
    status.scopeProblems = problems;
    if (appeared || status.scopeProblemsSince === undefined) status.scopeProblemsSince = toMetaTime(now);
  } else {
    delete status.scopeProblems;
    delete status.scopeProblemsSince;
  }
  if (update?.reachesNothing) status.reachesNothing = true;
  else delete status.reachesNothing;
  return before !== JSON.stringify(status.scopeProblems ?? []);
}

/** What decides when a polling token (Quay) looks at its credential's grants again. */
export interface ScopePollInput {
  /** When the credential was last looked at; undefined: never (due now). */
  checkedAt: number | undefined;
  now: number;
  /** The registry's observeInterval. */
  observeMs: number;
  /** When the current scope problems started; undefined when there are none. */
  problemsSince: number | undefined;
}

/**
 * When the next look is due. Without problems, one observeInterval after the last. With them, soon
 * at first (a pull token applied together with the push token that creates its repository is
 * granted within seconds) and then backing off with the problem's age, a quarter of it, so a
 * repository that never appears costs a few looks an hour, never more than one per interval.
 */
export function scopePollDueAt(input: ScopePollInput): number {
  const { checkedAt, now, observeMs, problemsSince } = input;
  const last = checkedAt ?? now - observeMs;
  if (problemsSince === undefined) return last + observeMs;
  const age = Math.max(0, last - problemsSince);
  const delay = Math.min(observeMs, Math.max(SCOPE_RECHECK_MIN_MS, age / 4));
  return last + delay;
}
