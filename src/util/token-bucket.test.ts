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
});
