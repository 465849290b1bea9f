import { describe, expect, it } from 'vitest';
import type { ObservedCredential } from '../../clients/provider.ts';
import type { CensusSnapshot } from './census.ts';
import { censusFindings, orphansOf, type TokenView } from './census-findings.ts';
import { credentialName } from './names.ts';

const UID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const OTHER = '0a1b2c3d-ffff-4a6b-8c7d-000000000000'; // the same first 8 hex
const name = (n: number, uid = UID) => credentialName(uid, n);
const START = Date.UTC(2026, 5, 1, 12);
const iso = (ms: number) => new Date(ms).toISOString();

function listOf(credentials: ObservedCredential[], startedAt = START): CensusSnapshot {
  return { startedAt, credentials, byId: new Map(credentials.map((c) => [c.id, c])) };
}
const live = (n: number, uid = UID): ObservedCredential => ({
  id: `id-${uid.slice(-4)}-${n}`,
  name: name(n, uid),
  enabled: true,
});
const view = (status: TokenView['status'], issuing?: string): TokenView => ({ uid: UID, status, issuing });
const current = (n: number) => ({ credentialId: live(n).id, credentialName: name(n) });

describe('orphansOf: which credentials of a token may be revoked', () => {
  it('finds the credential of an issue resolved without it (a create the provider committed late)', () => {
    const status = { ...current(3), issueResolved: name(2) };
    const list = listOf([live(2), live(3)]);
    expect(orphansOf(list, view(status, name(3)), new Set(), { inFlight: 'keep' })).toEqual([live(2)]);
  });

  it('keeps the current credential, those in their grace period, and the one to adopt', () => {
    const status = {
      ...current(3),
      pendingRevocations: [{ credentialId: live(2).id, credentialName: name(2), revokeAfter: iso(START) }],
    };
    const list = listOf([live(1), live(2), live(3), live(4)]);
    const found = orphansOf(list, view(status, name(4)), new Set(), { adopt: live(4).id, inFlight: 'sweep' });
    expect(found).toEqual([live(1)]);
  });

  it('leaves an issue under way alone when reading a cache that may lag, but sweeps it when resolving it', () => {
    // The cache has the intent (issuing 4) but not the status that followed it.
    const status = current(3);
    const list = listOf([live(3), live(4)]);
    expect(orphansOf(list, view(status, name(4)), new Set(), { inFlight: 'keep' })).toEqual([]);
    expect(orphansOf(list, view(status, name(4)), new Set(), { inFlight: 'sweep' })).toEqual([live(4)]);
  });

  it('never takes a name above every counter the token knows: an issue its cached status does not show yet', () => {
    const list = listOf([live(3), live(5)]);
    expect(orphansOf(list, view(current(3)), new Set(), { inFlight: 'keep' })).toEqual([]);
  });

  it('skips what this process revoked after the list started', () => {
    const status = { ...current(3), issueResolved: name(2) };
    const list = listOf([live(2), live(3)]);
    expect(orphansOf(list, view(status), new Set([live(2).id]), { inFlight: 'keep' })).toEqual([]);
  });

  it('never takes another token’s credentials, not even of a token sharing the first 8 hex', () => {
    const status = { ...current(3), issueResolved: name(2) };
    const list = listOf([live(2, OTHER), live(1, OTHER), live(3)]);
    expect(orphansOf(list, view(status), new Set(), { inFlight: 'sweep' })).toEqual([]);
    expect(orphansOf(list, view(status), new Set(), { inFlight: 'everything' })).toEqual([live(3)]);
  });

  it('never revokes a legacy (8 hex) name by name: another token may carry it', () => {
    const legacy = { id: 'legacy-2', name: 'berth-0a1b2c3d-2', enabled: true };
    const status = { ...current(3), issueResolved: 'berth-0a1b2c3d-2' };
    const list = listOf([legacy, live(3)]);
    expect(orphansOf(list, view(status), new Set(), { inFlight: 'sweep' })).toEqual([]);
    expect(orphansOf(list, view(status), new Set(), { inFlight: 'everything' })).toEqual([live(3)]);
  });
});

describe('censusFindings: what one list of a registry says about its tokens', () => {
  const tokens = (entries: [string, TokenView][]) => new Map(entries);

  it('says nothing about tokens whose credential is listed and fine', () => {
    const seen = { ...current(1), credentialCheckedAt: iso(START - 60_000) };
    const found = censusFindings(listOf([live(1)]), tokens([['ns/a', view(seen)]]), new Set(), START);
    expect(found.size).toBe(0);
  });

  it('calls a credential gone only if berth saw it before the list started', () => {
    const seenBefore = { ...current(1), credentialCheckedAt: iso(START - 60_000) };
    const issuedDuring = { ...current(1), credentialCheckedAt: iso(START + 1_000), issuedAt: iso(START - 1) };
    const found = censusFindings(
      listOf([]),
      tokens([
        ['ns/gone', view(seenBefore)],
        ['ns/new', view(issuedDuring)],
      ]),
      new Set(),
      START,
    );
    expect(found.get('ns/gone')?.suspect).toEqual({ credentialId: live(1).id, why: 'gone' });
    expect(found.has('ns/new')).toBe(false);
  });

  it('reports disabled and expired credentials, and orphans, on the token that owns them', () => {
    const disabled = { ...live(1), enabled: false };
    const expired = { ...live(1, OTHER), expiresAt: new Date(START - 1) };
    const other = {
      uid: OTHER,
      status: { credentialId: expired.id, credentialName: expired.name },
      issuing: undefined,
    };
    const withOrphan = { ...current(3), issueResolved: name(2) };
    const found = censusFindings(
      listOf([disabled, expired]),
      tokens([
        ['ns/a', view(current(1))],
        ['ns/b', other],
      ]),
      new Set(),
      START,
    );
    expect(found.get('ns/a')?.suspect?.why).toBe('disabled');
    expect(found.get('ns/b')?.suspect?.why).toBe('expired');
    const orphans = censusFindings(
      listOf([live(2), live(3)]),
      tokens([['ns/a', view(withOrphan)]]),
      new Set(),
      START,
    );
    expect(orphans.get('ns/a')).toMatchObject({ orphans: 1, suspect: undefined });
  });
});
