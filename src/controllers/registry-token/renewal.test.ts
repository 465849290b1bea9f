import { describe, expect, it } from 'vitest';
import { renewalTime } from './renewal.ts';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);

describe('renewalTime', () => {
  it('renews a third of the lifetime before expiry by default', () => {
    expect(renewalTime({ issuedAt: T0, expiresAt: T0 + 720 * H, lifetimeMs: 720 * H })).toBe(T0 + 480 * H);
  });

  it('honours renewBefore', () => {
    expect(
      renewalTime({ issuedAt: T0, expiresAt: T0 + 720 * H, lifetimeMs: 720 * H, renewBeforeMs: 24 * H }),
    ).toBe(T0 + 696 * H);
  });

  it('never schedules after expiry when the provider granted less than renewBefore', () => {
    const at = renewalTime({
      issuedAt: T0,
      expiresAt: T0 + 2 * H,
      lifetimeMs: 720 * H,
      renewBeforeMs: 240 * H,
    });
    expect(at).toBe(T0 + H);
  });

  it('rotates non-expiring credentials on rotateEvery, and takes the sooner of both', () => {
    expect(renewalTime({ issuedAt: T0, lifetimeMs: 720 * H, rotateEveryMs: 168 * H })).toBe(T0 + 168 * H);
    expect(
      renewalTime({ issuedAt: T0, expiresAt: T0 + 720 * H, lifetimeMs: 720 * H, rotateEveryMs: 24 * H }),
    ).toBe(T0 + 24 * H);
  });

  it('has nothing to renew for a credential that neither expires nor rotates', () => {
    expect(renewalTime({ issuedAt: T0, lifetimeMs: 720 * H })).toBeUndefined();
  });

  it('spreads tokens issued in the same second over the last tenth of their time in use', () => {
    const times = Array.from({ length: 1000 }, (_, i) =>
      renewalTime({ issuedAt: T0, expiresAt: T0 + 720 * H, lifetimeMs: 720 * H, spreadKey: `uid-${i}` }),
    ) as number[];
    // Never later than without a spread, never more than 10 % of the 480 h in use earlier.
    for (const at of times) expect(at >= T0 + 432 * H && at <= T0 + 480 * H).toBe(true);
    const perSecond = new Map<number, number>();
    for (const at of times) perSecond.set(at, (perSecond.get(at) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(2);
    // The same token gets the same time on every reconcile.
    expect(
      renewalTime({ issuedAt: T0, expiresAt: T0 + 720 * H, lifetimeMs: 720 * H, spreadKey: 'uid-7' }),
    ).toBe(times[7]);
  });

  it('truncates to the second, as status stores it', () => {
    expect(
      renewalTime({ issuedAt: T0 + 123, expiresAt: T0 + 3_000_456, lifetimeMs: 3_000_000 })! % 1000,
    ).toBe(0);
  });
});
