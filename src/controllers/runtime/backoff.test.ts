import { describe, expect, it } from 'vitest';
import { backoffDelay, INFORMER_BACKOFF } from './backoff.ts';

describe('backoffDelay', () => {
  const noJitter = () => 0;

  it('doubles from the initial delay and stops at the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelay(n, INFORMER_BACKOFF, noJitter));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('adds at most the configured jitter on top', () => {
    expect(backoffDelay(1, INFORMER_BACKOFF, () => 0.999)).toBe(1_100);
    expect(backoffDelay(10, INFORMER_BACKOFF, () => 0.5)).toBe(31_500);
  });
});
