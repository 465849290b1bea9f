import { describe, expect, it } from 'vitest';
import { latestPushTimes } from './push-time.ts';

const at = (iso: string) => Date.parse(iso);

describe('latestPushTimes', () => {
  it('puts every image at the repository updatedAt, whatever old config time it carries', () => {
    const times = latestPushTimes(
      ['1970-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '2026-11-01T00:00:00Z'],
      '2026-11-30T12:00:00Z',
    );
    // Ranked by config time: 0001 first, then 1970, then November.
    expect(times.map((t) => t.getTime() - at('2026-11-30T12:00:00Z'))).toEqual([1, 0, 2]);
  });

  it('keeps a config time later than updatedAt (clock skew), never moving a time earlier', () => {
    const [t] = latestPushTimes(['2026-12-01T00:00:00Z'], '2026-11-30T00:00:00Z');
    expect(t?.getTime()).toBe(at('2026-12-01T00:00:00Z'));
  });

  it('gives equal config times equal push times, so the planner orders them by tag name as for any tie', () => {
    const [a, b] = latestPushTimes(['1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z'], '2026-11-30T00:00:00Z');
    expect(a?.getTime()).toBe(b?.getTime());
  });

  it('answers an Invalid Date (kept as unknown push time), not the epoch, when a time is missing or unreadable', () => {
    expect(latestPushTimes(['2026-11-01T00:00:00Z'], undefined).map((t) => t.getTime())).toEqual([
      Number.NaN,
    ]);
    const [bad, good] = latestPushTimes(['yesterday', '2026-11-01T00:00:00Z'], '2026-11-30T00:00:00Z');
    expect(bad?.getTime()).toBeNaN();
    expect(good?.getTime()).toBe(at('2026-11-30T00:00:00Z'));
  });
});
