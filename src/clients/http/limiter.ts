import { TokenBucket } from '../../util/token-bucket.ts';
import type { ProviderName } from './errors.ts';

/** A cap on requests in flight. */
export class Semaphore {
  private readonly limit: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  /** Runs `fn` once a slot is free. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Per-provider client-side limits, so one busy controller cannot burn a provider's API quota. */
export interface ProviderLimits {
  /** Requests per second (token bucket). */
  qps: number;
  burst: number;
  /** Requests in flight at once. */
  concurrency: number;
}

/** Default limits where a provider publishes none: 10 requests/s, burst 20, 8 in flight. */
export const DEFAULT_LIMITS: ProviderLimits = { qps: 10, burst: 20, concurrency: 8 };

/**
 * Each provider's published API limit, the default of its clients (`limits` overrides it).
 * - quay: quay.io's nginx limits /api/ to "5 r/s with burst 25 per IP (HTTP/1)" and refuses the
 *   rest with a 429 "with no Retry-After" (research notes quay.md §9); undici speaks HTTP/1.1.
 * - ionos: "No `X-RateLimit-*` headers are documented for CR"; only 429 is (ionos.md, Base, auth).
 * - selectel: "Rate limits: **none documented** in any source found" (selectel.md §3).
 * Providers without a published limit keep {@link DEFAULT_LIMITS} and rely on 429 and Retry-After.
 */
export const PROVIDER_LIMITS: Readonly<Record<ProviderName, ProviderLimits>> = {
  quay: { qps: 5, burst: 25, concurrency: 8 },
  ionos: DEFAULT_LIMITS,
  selectel: DEFAULT_LIMITS,
};

/** Rate limit plus concurrency cap for one provider. */
export class ProviderLimiter {
  private readonly bucket: TokenBucket;
  private readonly semaphore: Semaphore;

  constructor(limits: ProviderLimits) {
    this.bucket = new TokenBucket(limits.qps, limits.burst);
    this.semaphore = new Semaphore(limits.concurrency);
  }

  /** Waits for a rate token and a free slot, then runs `fn`. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.semaphore.run(async () => {
      await this.bucket.take();
      return fn();
    });
  }
}
