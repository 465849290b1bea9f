import type { Clock } from '../controllers/runtime/clock.ts';
import { systemClock } from '../controllers/runtime/clock.ts';

/**
 * Slack for float rounding: at 7 per hour a token is due every 514,285.71... ms, and the sum of the
 * refills must not fall a hair short of a whole token at the moment it was promised.
 */
const EPSILON = 1e-9;

/**
 * A token bucket: `burst` requests at once, refilled at `qps` per second. Two ways to use one (pick
 * one per bucket): {@link take} waits its turn in order (client-node has no client-side rate limit,
 * and client-go's default of 5 QPS, burst 10 starves controllers at scale, so ours is configurable:
 * `--kube-api-qps`, `--kube-api-burst`); {@link tryTake} answers at once, for a budget that refuses
 * work instead of queueing it (src/controllers/shared/budgets.ts).
 */
export class TokenBucket {
  private readonly qps: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(qps: number, burst: number, clock: Clock = systemClock) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error(`invalid rate limit: qps ${qps}, burst ${burst}`);
    this.qps = qps;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.last = clock.now();
  }

  /**
   * A bucket of `count` that refills `count` per hour: `count` at once, then one every hour /
   * `count`. With `from`, it starts at that bucket's level (at most `count`), not full: changing a
   * limit must not hand out a fresh burst.
   */
  static perHour(count: number, clock: Clock = systemClock, from?: TokenBucket): TokenBucket {
    const bucket = new TokenBucket(count / 3_600, count, clock);
    if (from) {
      from.refill();
      bucket.tokens = Math.min(count, from.tokens);
    }
    return bucket;
  }

  /** Milliseconds until a token is there (0: now), taking nothing. */
  waitMs(): number {
    this.refill();
    return this.tokens + EPSILON >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.qps) * 1000);
  }

  /** Takes a token if there is one: 0, else the milliseconds until one is due (and nothing taken). */
  tryTake(): number {
    const wait = this.waitMs();
    if (wait === 0) this.tokens = Math.max(0, this.tokens - 1);
    return wait;
  }

  /** True once the bucket has refilled to its burst: an idle bucket, no different from a new one. */
  get full(): boolean {
    this.refill();
    return this.tokens + EPSILON >= this.burst;
  }

  /** Resolves when the caller may send one request. */
  take(): Promise<void> {
    const turn = this.tail.then(() => this.waitForToken());
    this.tail = turn;
    return turn;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }

  private async waitForToken(): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      const waitMs = Math.ceil(((1 - this.tokens) / this.qps) * 1000);
      await new Promise<void>((resolve) => this.clock.setTimer(resolve, waitMs));
      this.refill();
    }
    this.tokens -= 1;
  }
}
