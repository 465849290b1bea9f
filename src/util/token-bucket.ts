import type { Clock } from '../controllers/runtime/clock.ts';
import { systemClock } from '../controllers/runtime/clock.ts';

/**
 * A token bucket: `burst` requests at once, refilled at `qps` per second; callers wait their turn
 * in order. client-node has no client-side rate limit, and client-go's default (5 QPS, burst 10)
 * starves controllers at scale, so ours is configurable (`--kube-api-qps`, `--kube-api-burst`).
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
