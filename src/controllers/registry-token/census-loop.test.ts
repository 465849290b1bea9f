import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ObservedCredential } from '../../clients/provider.ts';
import type { RegistryToken } from '../../crds/registry-token.ts';
import { createMetrics } from '../../metrics.ts';
import { FakeClock } from '../runtime/clock.ts';
import { CredentialCensus } from './census.ts';
import { CensusLoop } from './census-loop.ts';
import { registryObject, tokenObject } from './fake-world.ts';
import { credentialName } from './names.ts';

const MIN = 60_000;
const START = Date.UTC(2026, 5, 1, 12);

/** `count` tokens on the registry `shop`, each with its credential `n` seen a minute before START. */
function tokensOn(count: number): RegistryToken[] {
  return Array.from({ length: count }, (_, i) => {
    const uid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const token = tokenObject({}, { name: `t${i}`, uid });
    token.status = {
      credentialId: `id-${i}`,
      credentialName: credentialName(uid, 1),
      credentialCheckedAt: new Date(START - MIN).toISOString(),
      registry: {
        namespace: 'shop',
        name: 'shop',
        uid: 'registry-uid',
        provider: 'ionos',
        externalId: 'reg-1',
      },
    };
    return token;
  });
}

function loop(tokens: RegistryToken[], credentials: ObservedCredential[], fail = { now: false }) {
  const clock = new FakeClock(START);
  const census = new CredentialCensus(clock);
  const metrics = createMetrics({ defaultMetrics: false });
  const enqueued: string[] = [];
  let lists = 0;
  const census$ = new CensusLoop({
    clock,
    census,
    logger: pino({ level: 'silent' }),
    metrics,
    registries: () => [registryObject()], // observeInterval: the default 10m
    tokens: () => tokens,
    lister: async () => ({
      provider: 'ionos',
      list: async () => {
        lists += 1;
        if (fail.now) throw new Error('503 Service Unavailable');
        return credentials;
      },
    }),
    enqueue: (key) => enqueued.push(key),
  });
  return { clock, census, census$, enqueued, metrics, lists: () => lists };
}

const listed = (tokens: RegistryToken[]) =>
  tokens.map((t) => ({
    id: t.status?.credentialId ?? '',
    name: t.status?.credentialName ?? '',
    enabled: true,
  }));

describe('CensusLoop: one list per registry and observeInterval for all its tokens', () => {
  it('lists once per interval for 500 tokens and wakes none of them when all is well', async () => {
    const tokens = tokensOn(500);
    const world = loop(tokens, listed(tokens));
    world.census$.start();
    await world.clock.advance(30_000 + 5_000); // the first census, 30 s after the registry was first seen
    expect(world.lists()).toBe(1);
    await world.clock.advance(10 * MIN);
    expect(world.lists()).toBe(2);
    expect(world.enqueued).toEqual([]);
    await world.census$.stop();
  });

  it('wakes only the token whose credential is gone, and the owner of an orphan', async () => {
    const tokens = tokensOn(3);
    const [, second, third] = tokens;
    // Token t2 had an issue (2) resolved without finding its credential, then issued 3: the
    // provider committed 2 after berth had looked.
    const uid = third?.metadata.uid ?? '';
    if (third?.status) {
      third.status.credentialName = credentialName(uid, 3);
      third.status.issueResolved = credentialName(uid, 2);
    }
    const credentials = listed(tokens).filter((c) => c.id !== 'id-1');
    const late = { id: 'late', name: credentialName(uid, 2), enabled: true };
    const world = loop(tokens, [...credentials, late]);
    world.census$.start();
    await world.clock.advance(35_000);
    expect(world.enqueued.sort()).toEqual([`shop/${second?.metadata.name}`, `shop/${third?.metadata.name}`]);
    expect(world.census.findingFor('shop/t1')?.suspect).toEqual({ credentialId: 'id-1', why: 'gone' });
    expect(world.census.findingFor('shop/t2')?.orphans).toBe(1);
    const text = await world.metrics.registry.metrics();
    expect(text).toContain('berth_credential_census_findings_total{provider="ionos",kind="gone"} 1');
    expect(text).toContain('berth_credential_census_findings_total{provider="ionos",kind="orphan"} 1');
    await world.census$.stop();
  });

  it('tries again within a minute when the list fails, and says so in its metric', async () => {
    const tokens = tokensOn(2);
    const fail = { now: true };
    const world = loop(tokens, listed(tokens), fail);
    world.census$.start();
    await world.clock.advance(35_000);
    expect(world.lists()).toBe(1);
    fail.now = false;
    await world.clock.advance(MIN + 5_000);
    expect(world.lists()).toBe(2);
    const text = await world.metrics.registry.metrics();
    expect(text).toContain('berth_credential_census_lists_total{provider="ionos",result="error"} 1');
    expect(text).toContain('berth_credential_census_lists_total{provider="ionos",result="ok"} 1');
    expect(world.enqueued).toEqual([]);
    await world.census$.stop();
  });

  it('lists nothing for a registry none of whose tokens holds a credential', async () => {
    const world = loop([tokenObject()], []);
    world.census$.start();
    await world.clock.advance(20 * MIN);
    expect(world.lists()).toBe(0);
    await world.census$.stop();
  });
});
