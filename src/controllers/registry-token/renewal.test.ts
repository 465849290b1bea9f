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

  it('truncates to the second, as status stores it', () => {
    expect(
      renewalTime({ issuedAt: T0 + 123, expiresAt: T0 + 3_000_456, lifetimeMs: 3_000_000 })! % 1000,
    ).toBe(0);
  });
});
