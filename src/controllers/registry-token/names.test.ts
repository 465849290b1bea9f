import { describe, expect, it } from 'vitest';
import {
  counterOf,
  credentialName,
  credentialPrefix,
  isOwnedBy,
  nextCredentialName,
  ownedPrefixes,
  parseCredentialName,
} from './names.ts';

const UID = '0a1b2c3d-0000-4000-8000-000000000000';
/** Another token whose UID starts with the same 8 hex: its legacy names were UID's too. */
const TWIN = '0a1b2c3d-ffff-4fff-bfff-ffffffffffff';
const n = (counter: number) => credentialName(UID, counter);
const legacy = (counter: number) => `berth-0a1b2c3d-${counter}`;
const revoke = (credentialName?: string) => ({ credentialName, credentialId: 'x', revokeAfter: 'x' });

describe('nextCredentialName', () => {
  it.each([
    ['the first credential', {}, 1],
    ['after the current one', { credentialName: n(3) }, 4],
    ['above one still in its grace period', { credentialName: n(3), pendingRevocations: [revoke(n(5))] }, 6],
    ['above one being issued', { credentialName: n(3), pendingIssue: { credentialName: n(4) } }, 5],
    ['ignoring a pending entry without a name', { credentialName: n(2), pendingRevocations: [revoke()] }, 3],
    ['after a legacy current one: the counter carries on', { credentialName: legacy(7) }, 8],
    [
      'above a legacy one in its grace period',
      { credentialName: n(8), pendingRevocations: [revoke(legacy(9))] },
      10,
    ],
  ])('%s', (_what, known, counter) => {
    expect(nextCredentialName(UID, known)).toBe(n(counter));
  });

  it('carries the whole UID, lower case, without dashes', () => {
    expect(nextCredentialName(UID, {})).toBe('berth-0a1b2c3d000040008000000000000000-1');
    expect(credentialPrefix(UID.toUpperCase())).toBe(credentialPrefix(UID));
  });

  it('fits every provider with a 10-digit counter (docs/adr/017-credential-names.md)', () => {
    const longest = credentialName('ffffffff-ffff-4fff-bfff-ffffffffffff', 9_999_999_999);
    expect(longest).toHaveLength(49);
    // IONOS token name: the spec's PostTokenProperties.name, and the DCD's lower-case 3-63.
    expect(longest).toMatch(/^[A-Za-z][-A-Za-z0-9]{0,61}[A-Za-z0-9]$/);
    expect(longest).toMatch(/^[a-z][-a-z0-9]{1,61}[a-z0-9]$/);
    // Quay robot short name (util/validation.py), 2-255; `org+short` stays within 255 for orgs up to 205.
    expect(longest).toMatch(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/);
    expect(`${'o'.repeat(205)}+${longest}`.length).toBe(255);
  });
});

describe('prefixes', () => {
  it('owns the current and the legacy prefix', () => {
    expect(ownedPrefixes(UID)).toEqual(['berth-0a1b2c3d000040008000000000000000-', 'berth-0a1b2c3d-']);
  });

  it('a current name never starts with any legacy prefix, so the forms cannot be confused', () => {
    expect(n(1).startsWith('berth-0a1b2c3d-')).toBe(false);
    expect(credentialName(TWIN, 1)).not.toBe(n(1));
  });
});

describe('parseCredentialName', () => {
  it.each([
    [n(12), { prefix: credentialPrefix(UID), counter: 12, legacy: false }],
    [legacy(7), { prefix: 'berth-0a1b2c3d-', counter: 7, legacy: true }],
    [`acme+${n(3)}`, { prefix: credentialPrefix(UID), counter: 3, legacy: false }],
    ['acme+berth-0a1b2c3d-2', { prefix: 'berth-0a1b2c3d-', counter: 2, legacy: true }],
  ])('reads %s', (name, parsed) => {
    expect(parseCredentialName(name)).toEqual(parsed);
  });

  it.each([
    'shop-pull',
    'berth-cleanup-0a1b2c3d-1767225600',
    'berth-0a1b2c3d',
    'berth-0a1b2c3d-0',
    'berth-0a1b2c3d-07',
    'BERTH-0A1B2C3D-1',
    'berth-0a1b2c3d0-1',
    'xberth-0a1b2c3d-1',
    'berth-0a1b2c3d-1-old',
  ])('is not berth’s: %s', (name) => {
    expect(parseCredentialName(name)).toBeUndefined();
  });

  it('agrees with counterOf on both forms', () => {
    expect(counterOf(n(41))).toBe(41);
    expect(counterOf(legacy(41))).toBe(41);
    expect(counterOf(undefined)).toBe(0);
  });
});

describe('isOwnedBy: two tokens whose UIDs share the first 8 hex', () => {
  it('a current-form name belongs to its token only', () => {
    expect(isOwnedBy(UID, n(1))).toBe(true);
    expect(isOwnedBy(TWIN, n(1))).toBe(false);
    expect(isOwnedBy(UID, credentialName(TWIN, 1))).toBe(false);
    expect(isOwnedBy(UID, `acme+${n(1)}`)).toBe(true);
  });

  it('a legacy name belongs to neither on its prefix alone', () => {
    expect(isOwnedBy(UID, legacy(1))).toBe(false);
    expect(isOwnedBy(TWIN, legacy(1))).toBe(false);
  });

  it('a legacy name belongs to the token whose status names it, and not to the twin', () => {
    const status = { credentialName: legacy(3), pendingRevocations: [revoke(legacy(2))] };
    expect(isOwnedBy(UID, legacy(3), status)).toBe(true);
    expect(isOwnedBy(UID, legacy(2), status)).toBe(true);
    // The twin's own counters run from 1 too; a lower or higher counter is not evidence.
    expect(isOwnedBy(UID, legacy(1), status)).toBe(false);
    expect(isOwnedBy(UID, legacy(4), status)).toBe(false);
    expect(isOwnedBy(TWIN, legacy(5), { credentialName: legacy(5) })).toBe(true);
    expect(isOwnedBy(UID, legacy(5), status)).toBe(false);
  });

  it('never owns names of another prefix, whatever the status says', () => {
    const status = { credentialName: 'shop-pull', pendingIssue: { credentialName: 'berth-ffffffff-1' } };
    expect(isOwnedBy(UID, 'shop-pull', status)).toBe(false);
    expect(isOwnedBy(UID, 'berth-ffffffff-1', status)).toBe(false);
  });
});
