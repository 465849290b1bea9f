import { describe, expect, it } from 'vitest';
import { LimitReq } from './limit-req.ts';

describe('LimitReq (nginx limit_req with burst and nodelay)', () => {
  it('lets 1 + burst through at once, then the rate, per key; refusals do not count', () => {
    let now = 0;
    const limit = new LimitReq({ perSecond: 5, burst: 25 }, () => now);
    const burst = Array.from({ length: 30 }, () => limit.admit('10.0.0.1'));
    expect(burst.filter(Boolean)).toHaveLength(26);
    expect(limit.admit('10.0.0.2')).toBe(true);
    now += 200; // one request's worth at 5 r/s
    expect([limit.admit('10.0.0.1'), limit.admit('10.0.0.1')]).toEqual([true, false]);
    now += 10_000; // drained: a full burst again
    expect(Array.from({ length: 27 }, () => limit.admit('10.0.0.1')).filter(Boolean)).toHaveLength(26);
  });
});
