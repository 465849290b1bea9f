import { TokenBucket } from '../../util/token-bucket.ts';

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

/** Default limits: 10 requests/s, burst 20, 8 in flight. */
export const DEFAULT_LIMITS: ProviderLimits = { qps: 10, burst: 20, concurrency: 8 };

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
