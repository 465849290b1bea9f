import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  desiredRegistry,
  OTHER_PROJECT,
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
} from '../../../test/support/providers/selectel.ts';
import { ConflictError } from '../http/errors.ts';
import type { SelectelProvider } from './adapter.ts';

let bed: SelectelTestBed;
let provider: SelectelProvider;

beforeAll(async () => {
  bed = await startSelectelTestBed();
});
afterAll(() => bed.stop());
beforeEach(() => {
  bed.sim.state.registries.clear();
  bed.sim.server.log.length = 0;
  bed.sim.server.faults.clear();
  provider = bed.provider({ pageSize: 2 });
});

describe('SelectelRegistries', () => {
  // Failed registries (issue #12 item 10): "`ERROR` → failed" (shared/providers/selectel.md).
  it('reports an ERROR registry as failed, not as in progress, until it is ACTIVE again', async () => {
    const seeded = bed.sim.addRegistry(TEST_PROJECT, 'broken');
    const ref = { name: 'broken', externalId: seeded.id };
    bed.sim.failRegistry(seeded.id);
    const failed = await provider.registries.observe(ref, desiredRegistry('broken'));
    expect(failed).toMatchObject({ providerState: 'ERROR', ready: false, deleting: false });
    expect(failed?.failure).toBe('Selectel reports the registry as ERROR');
    bed.sim.recoverRegistry(seeded.id);
    const active = await provider.registries.observe(ref, desiredRegistry('broken'));
    expect(active).toMatchObject({ providerState: 'ACTIVE', ready: true });
    expect(active?.failure).toBeUndefined();
  });

  it('creates a registry that is CREATING, then ACTIVE and ready with the docker host', async () => {
    const desired = desiredRegistry('shop');
    const created = await provider.registries.create(desired);
    expect(created).toMatchObject({ name: 'shop', providerState: 'CREATING', ready: false, deleting: false });
    bed.sim.advance(60);
    const observed = await provider.registries.observe(
      { name: 'shop', externalId: created.externalId },
      desired,
    );
    expect(observed).toEqual({
      externalId: created.externalId,
      name: 'shop',
      providerState: 'ACTIVE',
      ready: true,
      deleting: false,
      server: '127.0.0.1:5000',
      storageUsedBytes: 0,
      drift: [],
    });
  });

  it('finds a registry by name across several pages of the name search', async () => {
    // The search is a substring match: `shop` also finds a-shop … e-shop, and sorts after them.
    for (const prefix of ['a', 'b', 'c', 'd', 'e']) bed.sim.addRegistry(TEST_PROJECT, `${prefix}-shop`);
    bed.sim.addRegistry(TEST_PROJECT, 'shop');
    bed.sim.addRegistry(TEST_PROJECT, 'unrelated');
    const observed = await provider.registries.observe({ name: 'shop' }, desiredRegistry('shop'));
    expect(observed?.name).toBe('shop');
    expect(bed.sim.server.counts()['GET /api/v1/registries']).toBe(3);
    expect(await provider.registries.observe({ name: 'hop' }, desiredRegistry('hop'))).toBeUndefined();
    expect(bed.sim.server.counts()['GET /api/v1/registries']).toBe(7);
  });

  it('reports an unknown ID or name as undefined, and never sees other projects', async () => {
    const foreign = bed.sim.addRegistry(OTHER_PROJECT, 'theirs');
    expect(
      await provider.registries.observe(
        { name: 'theirs', externalId: foreign.id },
        desiredRegistry('theirs'),
      ),
    ).toBeUndefined();
    expect(await provider.registries.observe({ name: 'theirs' }, desiredRegistry('theirs'))).toBeUndefined();
  });

  it('maps GARBAGE_COLLECTION to ready and ERROR to not ready', async () => {
    const collecting = bed.sim.addRegistry(TEST_PROJECT, 'gc', 'GARBAGE_COLLECTION');
    const broken = bed.sim.addRegistry(TEST_PROJECT, 'broken', 'ERROR');
    const gc = await provider.registries.observe(
      { name: 'gc', externalId: collecting.id },
      desiredRegistry('gc'),
    );
    expect([gc?.providerState, gc?.ready]).toEqual(['GARBAGE_COLLECTION', true]);
    const err = await provider.registries.observe(
      { name: 'broken', externalId: broken.id },
      desiredRegistry('broken'),
    );
    expect([err?.providerState, err?.ready, err?.deleting]).toEqual(['ERROR', false, false]);
  });

  it('answers ConflictError when the name is taken (also in another project)', async () => {
    bed.sim.addRegistry(OTHER_PROJECT, 'taken');
    await expect(provider.registries.create(desiredRegistry('taken'))).rejects.toBeInstanceOf(ConflictError);
  });

  it('update only reads the registry back (nothing in CRaaS is mutable)', async () => {
    const registry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const updated = await provider.registries.update(
      { name: 'shop', externalId: registry.id },
      desiredRegistry('shop'),
    );
    expect(updated.providerState).toBe('ACTIVE');
    expect(bed.sim.server.log.filter((e) => e.path.startsWith('/api/')).map((e) => e.method)).toEqual([
      'GET',
    ]);
  });

  it('deletes asynchronously (DELETING, then gone) and tolerates an already deleted registry', async () => {
    const registry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const ref = { name: 'shop', externalId: registry.id };
    await provider.registries.delete(ref, desiredRegistry('shop'));
    const deleting = await provider.registries.observe(ref, desiredRegistry('shop'));
    expect([deleting?.providerState, deleting?.deleting, deleting?.ready]).toEqual(['DELETING', true, false]);
    await provider.registries.delete(ref, desiredRegistry('shop'));
    bed.sim.advance(60);
    expect(await provider.registries.observe(ref, desiredRegistry('shop'))).toBeUndefined();
    await provider.registries.delete(ref, desiredRegistry('shop'));
  });

  it('answers ConflictError to a delete while garbage collection runs', async () => {
    const registry = bed.sim.addRegistry(TEST_PROJECT, 'shop', 'GARBAGE_COLLECTION');
    await expect(
      provider.registries.delete({ name: 'shop', externalId: registry.id }, desiredRegistry('shop')),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('refuses a desired registry of another project (a wiring mistake)', async () => {
    await expect(
      provider.registries.observe({ name: 'x' }, desiredRegistry('x', OTHER_PROJECT)),
    ).rejects.toThrow(/cannot serve project/);
  });
});
