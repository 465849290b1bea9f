import { describe, expect, it } from 'vitest';
import type { ObservedCredential } from '../../clients/provider.ts';
import { FakeClock } from '../runtime/clock.ts';
import { CredentialCensus } from './census.ts';

const credential = (id: string): ObservedCredential => ({ id, name: id, enabled: true });

/** A list the test finishes by hand, counting how many were started. */
function manualLister() {
  const started: { resolve: (c: ObservedCredential[]) => void; reject: (e: Error) => void }[] = [];
  const list = () =>
    new Promise<ObservedCredential[]>((resolve, reject) => {
      started.push({ resolve, reject });
    });
  return { list, started };
}

describe('CredentialCensus: one list of a registry serves every token waiting for one', () => {
  it('gives every reconcile that asked before a list started that same list', async () => {
    const clock = new FakeClock(1_000);
    const census = new CredentialCensus(clock);
    const { list, started } = manualLister();
    const asked = [census.fresh('r', 999, list), census.fresh('r', 999, list), census.fresh('r', 500, list)];
    expect(started).toHaveLength(1);
    started[0]?.resolve([credential('a')]);
    const lists = await Promise.all(asked);
    expect(new Set(lists).size).toBe(1);
    expect(lists[0]?.byId.has('a')).toBe(true);
    // Fresh enough for a later question about an earlier moment: no new request.
    expect(await census.fresh('r', 999, list)).toBe(lists[0]);
    expect(census.listCount).toBe(1);
  });

  it('never trusts a list that started before the moment asked about, and never runs two at once', async () => {
    const clock = new FakeClock(1_000);
    const census = new CredentialCensus(clock);
    const { list, started } = manualLister();
    const early = census.fresh('r', 999, list);
    await clock.advance(10);
    // A create failed at 1,010: the list under way (started 1,000) may not show it.
    const late = census.fresh('r', 1_010, list);
    const lateToo = census.fresh('r', 1_010, list);
    expect(started).toHaveLength(1);
    started[0]?.resolve([]);
    await early;
    await new Promise((r) => setImmediate(r));
    expect(started).toHaveLength(2); // the next list, shared by both late askers
    started[1]?.resolve([credential('late')]);
    expect((await late).byId.has('late')).toBe(true);
    expect(await lateToo).toBe(await late);
  });

  it('lets every token a restart found interrupted share the first list of the process', async () => {
    const clock = new FakeClock(1_000); // the process starts
    const census = new CredentialCensus(clock);
    const { list, started } = manualLister();
    await clock.advance(50);
    const first = census.fresh('r', census.interruptedSince('ns/a'), list);
    await clock.advance(50);
    // A second token's reconcile comes later; its issue was cut short before the restart too.
    const second = census.fresh('r', census.interruptedSince('ns/b'), list);
    expect(started).toHaveLength(1);
    started[0]?.resolve([]);
    expect(await second).toBe(await first);
    expect(census.listCount).toBe(1);
  });

  it('needs a list started after the last create this process sent for the token ended', async () => {
    const clock = new FakeClock(1_000);
    const census = new CredentialCensus(clock);
    const { list, started } = manualLister();
    const before = census.fresh('r', 1_000, list); // another token's list, under way
    await clock.advance(10);
    census.noteIssue('ns/a'); // the create ended at 1,010 (answered; the Secret write then failed)
    expect(census.interruptedSince('ns/a')).toBe(1_010);
    const after = census.fresh('r', census.interruptedSince('ns/a'), list);
    started[0]?.resolve([]);
    await before;
    await Promise.resolve();
    expect(started).toHaveLength(2); // the list under way started before the create ended
    started[1]?.resolve([credential('a-2')]);
    expect((await after).byId.has('a-2')).toBe(true);
    census.issueSettled('ns/a');
    expect(census.interruptedSince('ns/a')).toBe(1_000);
  });

  it('a failed list fails its waiters, and the next question lists again', async () => {
    const census = new CredentialCensus(new FakeClock(1_000));
    const { list, started } = manualLister();
    const asked = census.fresh('r', 0, list);
    started[0]?.reject(new Error('503'));
    await expect(asked).rejects.toThrow('503');
    const again = census.fresh('r', 0, list);
    expect(started).toHaveLength(2);
    started[1]?.resolve([]);
    expect((await again).credentials).toEqual([]);
  });

  it('remembers revocations so that a list taken before one does not bring the credential back', async () => {
    const clock = new FakeClock(1_000);
    const census = new CredentialCensus(clock);
    census.noteRevoked('r', 'old');
    await clock.advance(5);
    census.noteRevoked('r', 'newer');
    expect([...census.revokedSince('r', 1_000)]).toEqual(['old', 'newer']);
    expect([...census.revokedSince('r', 1_001)]).toEqual(['newer']);
    expect([...census.revokedSince('other', 0)]).toEqual([]);
  });

  it('keeps a finding until the reconcile that handled it resolves it, and drops a newer one only itself', async () => {
    const clock = new FakeClock(1_000);
    const census = new CredentialCensus(clock);
    const snapshot = { startedAt: 1_000, credentials: [], byId: new Map() };
    const first = { snapshot, orphans: 1 };
    const second = { snapshot, orphans: 2 };
    census.setFinding('ns/t', first);
    census.setFinding('ns/t', second);
    census.resolveFinding('ns/t', first);
    expect(census.findingFor('ns/t')).toBe(second);
    census.resolveFinding('ns/t', second);
    expect(census.findingFor('ns/t')).toBeUndefined();
  });
});
