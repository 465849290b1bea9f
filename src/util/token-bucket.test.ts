import { describe, expect, it } from 'vitest';
import { FakeClock, flushPromises } from '../controllers/runtime/clock.ts';
import { TokenBucket } from './token-bucket.ts';

describe('TokenBucket', () => {
  it('lets a burst through at once, then paces requests at the configured rate', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(10, 3, clock);
    const granted: number[] = [];
    const start = clock.now();
    for (let i = 0; i < 6; i++) void bucket.take().then(() => granted.push(clock.now() - start));
    await flushPromises();
    expect(granted).toEqual([0, 0, 0]);
    await clock.advance(1_000);
    expect(granted).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it('rejects a rate that could never admit a request', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(/invalid rate limit/);
  });

  it('answers at once without waiting: the burst, then how long until the next token', async () => {
    const clock = new FakeClock();
    const bucket = TokenBucket.perHour(6, clock);
    expect(Array.from({ length: 6 }, () => bucket.tryTake())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(bucket.tryTake()).toBe(600_000);
    await clock.advance(420_000);
    // A refusal takes nothing: the wait only shrinks.
    expect(bucket.waitMs()).toBe(180_000);
    expect(bucket.tryTake()).toBe(180_000);
    await clock.advance(180_000);
    expect(bucket.tryTake()).toBe(0);
    expect(bucket.tryTake()).toBe(600_000);
  });

  it('gives a token exactly when it said it would, at rates that are no whole number of ms', async () => {
    const clock = new FakeClock();
    const bucket = TokenBucket.perHour(7, clock);
    for (let i = 0; i < 7; i++) bucket.tryTake();
    for (let i = 0; i < 20; i++) {
      const wait = bucket.tryTake();
      expect(wait).toBeGreaterThan(0);
      await clock.advance(wait);
      expect(bucket.tryTake()).toBe(0);
    }
  });

  it('is full again after an idle hour, and not before', async () => {
    const clock = new FakeClock();
    const bucket = TokenBucket.perHour(4, clock);
    expect(bucket.full).toBe(true);
    bucket.tryTake();
    bucket.tryTake();
    expect(bucket.full).toBe(false);
    await clock.advance(29 * 60_000);
    expect(bucket.full).toBe(false);
    await clock.advance(60_000);
    expect(bucket.full).toBe(true);
  });

  it('carries a bucket’s level over to a new limit instead of handing out a fresh burst', () => {
    const clock = new FakeClock();
    const before = TokenBucket.perHour(4, clock);
    for (let i = 0; i < 4; i++) before.tryTake();
    const raised = TokenBucket.perHour(10, clock, before);
    expect(raised.tryTake()).toBe(360_000);
    const full = TokenBucket.perHour(10, clock);
    const lowered = TokenBucket.perHour(2, clock, full);
    expect([lowered.tryTake(), lowered.tryTake(), lowered.tryTake()]).toEqual([0, 0, 1_800_000]);
  });
});
