/** Exponential backoff bounds. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Fraction of the delay added at random (0.1 = up to +10 %), so restarts do not synchronise. */
  jitter: number;
}

/** The informer restart backoff: 1 s doubling to 30 s, as client-go's reflector and client-node's README use. */
export const INFORMER_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 30_000, jitter: 0.1 };

/** Delay before attempt `failures` (1 = first retry): initial * 2^(failures-1), capped, plus jitter. */
export function backoffDelay(
  failures: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, failures - 1);
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(exponent, 30));
  return Math.round(base * (1 + options.jitter * random()));
}
