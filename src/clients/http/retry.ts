/** Retry policy of the provider HTTP client. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  retries: number;
  /** First backoff delay (default 500 ms), doubling per retry. */
  baseDelayMs: number;
  /** Largest backoff delay and largest honoured Retry-After (default 30 s). */
  maxDelayMs: number;
}

/** The default retry policy: 3 retries, 0.5 s doubling, at most 30 s. */
export const DEFAULT_RETRY: RetryOptions = { retries: 3, baseDelayMs: 500, maxDelayMs: 30_000 };

/** HTTP statuses worth retrying for a request that is safe to repeat. */
export function isRetryableStatus(status: number): boolean {
  return (
    status === 408 || status === 429 || status === 502 || status === 503 || status === 504 || status === 500
  );
}

/**
 * Parses Retry-After: delta-seconds or an HTTP date. Returns milliseconds from `nowMs`, or
 * undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Delay before retry number `attempt` (1-based): Retry-After if given (capped), else full-jitter backoff. */
export function retryDelay(
  attempt: number,
  options: RetryOptions,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, options.maxDelayMs);
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  // Half fixed, half random: spreads clients out without ever retrying instantly.
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** What the retry loop needs to know about one attempt's outcome. */
export interface RetryVerdict {
  /** Worth another attempt (a transient failure of a request that is safe to repeat). */
  retry: boolean;
  /** The server's Retry-After, if it sent one. */
  retryAfterMs?: number | undefined;
  /** The HTTP status, for the debug line. */
  status?: number | undefined;
}

/** Options of {@link withRetries}. */
export interface WithRetriesOptions<T> {
  /** One attempt: a request through the limiter. */
  attempt: () => Promise<T>;
  /** Judges a result or a thrown error. */
  verdict: (outcome: { value: T } | { error: unknown }) => RetryVerdict;
  policy: RetryOptions;
  sleep: (ms: number) => Promise<void>;
  /** Once aborted, the last outcome is final. */
  signal?: AbortSignal | undefined;
  /** Told before each wait, for a debug line. */
  onRetry?: (info: { attempt: number; delayMs: number; status: number | undefined }) => void;
}

/**
 * The retry loop every provider transport shares (the provider APIs' JSON client and the OCI
 * registry client): up to `policy.retries` more attempts while the verdict says so, waiting as
 * the server asked or with jittered backoff, never after the work's signal was aborted. Returns
 * the last value or throws the last error.
 */
export async function withRetries<T>(options: WithRetriesOptions<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let outcome: { value: T } | { error: unknown };
    try {
      outcome = { value: await options.attempt() };
    } catch (error) {
      outcome = { error };
    }
    const verdict = options.verdict(outcome);
    if (!verdict.retry || attempt > options.policy.retries || options.signal?.aborted) {
      if ('error' in outcome) throw outcome.error;
      return outcome.value;
    }
    const delayMs = retryDelay(attempt, options.policy, verdict.retryAfterMs);
    options.onRetry?.({ attempt, delayMs, status: verdict.status });
    await options.sleep(delayMs);
  }
}
