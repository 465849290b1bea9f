/** A request rate limit as nginx's `limit_req_zone ... rate=<r>r/s` with `limit_req burst=<b> nodelay`. */
export interface RequestRateLimit {
  /** Requests per second a key may make on average (`rate=`). */
  perSecond: number;
  /** Requests above the rate a key may make at once before it is refused (`burst=`). */
  burst: number;
}

interface Bucket {
  /** Requests above the rate, in thousandths (nginx keeps `excess` in milli-requests too). */
  excess: number;
  last: number;
}

/**
 * nginx's limit_req (ngx_http_limit_req_module) with `nodelay`: per key, a leaky bucket whose
 * excess drains at the rate; a request that would push the excess above the burst is refused
 * and does not count. So a fresh key gets 1 + burst requests at once, then `perSecond`. Time is
 * the real monotonic clock, never a simulator's test clock, which tests freeze or move.
 */
export class LimitReq {
  readonly limit: RequestRateLimit;
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(limit: RequestRateLimit, now: () => number = () => performance.now()) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 0)) throw new Error('invalid request rate limit');
    this.limit = limit;
    this.now = now;
  }

  /** Whether a request of `key` (nginx: the client address) is let through; counts it if so. */
  admit(key: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key);
    if (!bucket) {
      this.buckets.set(key, { excess: 0, last: now });
      return true;
    }
    const drained = (this.limit.perSecond * (now - bucket.last)) / 1000;
    const excess = Math.max(0, bucket.excess - drained * 1000 + 1000);
    if (excess > this.limit.burst * 1000) return false;
    bucket.excess = excess;
    bucket.last = now;
    return true;
  }
}
