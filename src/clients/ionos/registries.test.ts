import { afterEach, describe, expect, it } from 'vitest';
import { validateRequestAgainstSpec } from '../../../test/support/openapi.ts';
import {
  desiredIonos,
  type IonosHarness,
  recordingDispatcher,
  startIonosHarness,
} from '../../../test/support/providers/ionos.ts';
import { BadRequestError, ConflictError } from '../http/errors.ts';

let h: IonosHarness | undefined;
afterEach(() => h?.close());

async function harness(): Promise<IonosHarness> {
  const recording = recordingDispatcher();
  // The simulator's time moves only by advance(): on a loaded machine the real clock would move
  // a registry past a state the test means to see (New -> WaitingForStorage -> Running).
  const frozen = Date.now();
  h = await startIonosHarness({ provider: { dispatcher: recording.dispatcher }, sim: { now: () => frozen } });
  return Object.assign(h, { sent: recording.sent });
}

const gc = { days: ['Sunday' as const, 'Wednesday' as const], time: '03:00:00+00:00' };

describe('IonosRegistries', () => {
  it('creates a registry that becomes ready with its hostname only once Running', async () => {
    const { sim, provider } = await harness();
    const desired = desiredIonos('shop', { garbageCollection: gc, apiSubnetAllowList: ['203.0.113.0/24'] });
    const created = await provider.registries.create(desired);
    expect(created).toMatchObject({
      name: 'shop',
      providerState: 'New',
      ready: false,
      deleting: false,
      drift: [],
    });
    expect(created.server).toBeUndefined();
    // Scanning is a paid default: the create request must switch it off explicitly.
    expect(sim.registry(created.externalId).scanning).toBe(false);

    sim.advance(60);
    const waiting = await provider.registries.observe(
      { externalId: created.externalId, name: 'shop' },
      desired,
    );
    expect(waiting).toMatchObject({ providerState: 'WaitingForStorage', ready: false });
    sim.advance(60);
    const running = await provider.registries.observe(
      { externalId: created.externalId, name: 'shop' },
      desired,
    );
    expect(running).toMatchObject({
      providerState: 'Running',
      ready: true,
      server: 'shop.cr.de-fra.ionos.com',
    });
    expect(running?.storageUsedBytes).toBe(0);
  });

  it('sends create and patch bodies the spec accepts', async () => {
    const { provider } = await harness();
    const sent = (h as IonosHarness & { sent: { method: string; path: string; body: unknown }[] }).sent;
    const desired = desiredIonos('shop', { garbageCollection: gc });
    const created = await provider.registries.create(desired);
    await provider.registries.update({ externalId: created.externalId, name: 'shop' }, desired);
    const post = sent.find((r) => r.method === 'POST');
    const patch = sent.find((r) => r.method === 'PATCH');
    expect(validateRequestAgainstSpec('ionos', 'POST', '/registries', post?.body)).toEqual([]);
    expect(validateRequestAgainstSpec('ionos', 'PATCH', '/registries/{registryId}', patch?.body)).toEqual([]);
  });

  it('observes by exact name through a filtered, paged list when no ID is known', async () => {
    const { sim, provider } = await startIonosHarness({ provider: { pageSize: 2 } }).then((x) => (h = x));
    // Registries list in ID order: give `shop` the last ID so all three pages are needed.
    const names = ['shop-a', 'shop-b', 'shop-c', 'shop-d', 'shop'];
    for (const [i, name] of names.entries())
      sim.addRegistry({ name, id: `00000000-0000-4000-8000-00000000000${i}` });
    const found = await provider.registries.observe({ name: 'shop' }, desiredIonos('shop'));
    expect(found?.name).toBe('shop');
    expect(sim.server.counts()['GET /containerregistries/registries']).toBe(3);
    expect(await provider.registries.observe({ name: 'absent' }, desiredIonos('absent'))).toBeUndefined();
  });

  it('observes a vanished registry as undefined, not as an error', async () => {
    const { provider } = await harness();
    const ref = { externalId: '3dfa77b7-db05-4230-8f20-8e762e951953', name: 'gone' };
    expect(await provider.registries.observe(ref, desiredIonos('gone'))).toBeUndefined();
  });

  it('reports drift and puts it right with one PATCH (clearing with null and [])', async () => {
    const { sim, provider } = await harness();
    const seeded = sim.addRegistry({
      name: 'shop',
      scanning: false,
      gc: { days: ['Monday'], time: '01:00:00+00:00' },
    });
    sim.registry(seeded.id).allowList = ['198.51.100.1'];
    const ref = { externalId: seeded.id, name: 'shop' };
    const desired = desiredIonos('shop', { vulnerabilityScanning: true });
    const before = await provider.registries.observe(ref, desired);
    expect(before?.drift.sort()).toEqual([
      'apiSubnetAllowList',
      'garbageCollection',
      'vulnerabilityScanning',
    ]);
    const after = await provider.registries.update(ref, desired);
    expect(after.drift).toEqual([]);
    expect(sim.registry(seeded.id)).toMatchObject({ gc: undefined, allowList: [], scanning: true });

    const withGc = desiredIonos('shop', { vulnerabilityScanning: true, garbageCollection: gc });
    expect((await provider.registries.observe(ref, withGc))?.drift).toEqual(['garbageCollection']);
    expect((await provider.registries.update(ref, withGc)).drift).toEqual([]);
  });

  it('does not report scanning that cannot be switched off as drift', async () => {
    const { sim, provider } = await harness();
    const seeded = sim.addRegistry({ name: 'shop', scanning: true });
    const observed = await provider.registries.observe(
      { externalId: seeded.id, name: 'shop' },
      desiredIonos('shop'),
    );
    expect(observed?.drift).toEqual([]);
  });

  it('refuses a name held by anyone (HEAD /names) with ConflictError, and an unknown location', async () => {
    const { sim, provider } = await harness();
    sim.reserveName('popular');
    await expect(provider.registries.create(desiredIonos('popular'))).rejects.toBeInstanceOf(ConflictError);
    await expect(provider.registries.create(desiredIonos('fine', { location: 'us/las' }))).rejects.toThrow(
      /us\/las is not offered \(available: de\/fra, de\/txl\)/,
    );
    await expect(
      provider.registries.create(desiredIonos('fine', { location: 'us/las' })),
    ).rejects.toBeInstanceOf(BadRequestError);
    expect(sim.server.counts()['POST /containerregistries/registries']).toBeUndefined();
    // The location list is cached between creates.
    expect(sim.server.counts()['GET /containerregistries/locations']).toBe(1);
  });

  it('deletes asynchronously and tolerates deleting again or after it is gone', async () => {
    const { sim, provider } = await harness();
    const seeded = sim.addRegistry({ name: 'shop' });
    const ref = { externalId: seeded.id, name: 'shop' };
    await provider.registries.delete(ref, desiredIonos('shop'));
    const deleting = await provider.registries.observe(ref, desiredIonos('shop'));
    expect(deleting).toMatchObject({ deleting: true, ready: false, providerState: 'DESTROYING' });
    await provider.registries.delete(ref, desiredIonos('shop'));
    sim.advance(100);
    expect(await provider.registries.observe(ref, desiredIonos('shop'))).toBeUndefined();
    await provider.registries.delete(ref, desiredIonos('shop'));
  });

  // Failed registries (issue #12 item 10). The notes: Terraform "treats the generic IONOS failure
  // states `FAILED`, `FAILED_SUSPENDED`, `FAILED_UPDATING`, `FAILED_DESTROYING` as errors".
  it.each(['FAILED', 'FAILED_SUSPENDED', 'FAILED_UPDATING', 'FAILED_DESTROYING'])(
    'reports a registry in %s as failed, not as in progress, until it is Running again',
    async (state) => {
      const { sim, provider } = await harness();
      const seeded = sim.addRegistry({ name: 'shop' });
      const ref = { externalId: seeded.id, name: 'shop' };
      sim.failRegistry(seeded.id, state);
      const failed = await provider.registries.observe(ref, desiredIonos('shop'));
      expect(failed).toMatchObject({ providerState: state, ready: false, deleting: false });
      expect(failed?.failure).toBe(`IONOS reports the registry as ${state}`);
      sim.recoverRegistry(seeded.id);
      const running = await provider.registries.observe(ref, desiredIonos('shop'));
      expect(running).toMatchObject({ providerState: 'Running', ready: true });
      expect(running?.failure).toBeUndefined();
    },
  );

  it('rejects a desired registry of another provider (a wiring bug)', async () => {
    const { provider } = await harness();
    const quay = {
      provider: 'quay' as const,
      name: 'x',
      settings: { url: 'https://quay.io', organization: 'x' },
    };
    await expect(provider.registries.create(quay)).rejects.toThrow(/got a quay registry/);
  });
});
