import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderFactory } from '../../clients/factory.ts';
import { type ContainerRegistry, ContainerRegistrySchema } from '../../crds/container-registry.ts';
import { IonosSimulator } from '../../simulators/ionos/simulator.ts';
import type { EventInput } from '../runtime/events.ts';
import { ContainerRegistryReconciler } from './reconcile.ts';

// Issue 20 item 4c: deleting a ContainerRegistry that was never created at the provider said
// `Retained`, as if a registry had been left there. Events must say what is at the provider.
let ionos: IonosSimulator;
beforeAll(async () => {
  ionos = new IonosSimulator({ provisionDelayMs: 0, deletionDelayMs: 0 });
  await ionos.start();
});
afterAll(() => ionos?.stop());

const POST_REGISTRIES = { method: 'POST', path: /\/registries$/ };
/** Whether the credentials Secret exists; a test removes it to make the provider unreachable. */
let credentialsExist = true;
const reconciler = new ContainerRegistryReconciler({
  providers: createProviderFactory(),
  readCredentials: async () => (credentialsExist ? { token: ionos.apiToken } : undefined),
});

function registryObject(name: string, deletionPolicy: 'Delete' | 'Retain'): ContainerRegistry {
  return ContainerRegistrySchema.parse({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'ContainerRegistry',
    metadata: { name, namespace: 'ns', generation: 1, uid: `uid-${name}` },
    spec: {
      provider: 'ionos',
      credentialsRef: { name: 'ionos' },
      adoptionPolicy: 'Never',
      deletionPolicy,
      ionos: { location: 'de/fra', vulnerabilityScanning: false, apiEndpoint: ionos.url },
    },
  });
}

/** One reconcile: the events it recorded, whether it removed the finalizer, what it threw. */
async function reconcileOnce(obj: ContainerRegistry, status: Record<string, unknown>, deleting = false) {
  const events: EventInput[] = [];
  let released = false;
  let thrown: unknown;
  try {
    await reconciler.reconcile({
      object: obj,
      status,
      logger: pino({ level: 'silent' }),
      recordEvent: async (e) => void events.push(e),
      signal: new AbortController().signal,
      now: () => Date.parse('2026-06-01T12:00:00Z'),
      deleting,
      ensureFinalizer: async () => false,
      removeFinalizer: async () => {
        released = true;
        return true;
      },
      persistStatus: async () => undefined,
      recordIntent: async () => undefined,
      waitShared: (work) => work,
    });
  } catch (err) {
    thrown = err;
  }
  return { events: events.map((e) => `${e.reason}: ${e.note}`), released, thrown };
}

/** A registry whose create got a 503: berth recorded the intent, the provider made nothing. */
async function interruptedCreate(name: string, policy: 'Delete' | 'Retain') {
  const obj = registryObject(name, policy);
  const status: Record<string, unknown> = {};
  ionos.server.faults.schedule({ kind: 'serverError', status: 503 }, { match: POST_REGISTRIES });
  expect((await reconcileOnce(obj, status)).thrown).toBeDefined();
  expect(status.pendingCreateAt).toBeDefined();
  expect(ionos.registryByName(name)).toBeUndefined();
  return { obj, status };
}

describe('deleting a ContainerRegistry says what was at the provider', () => {
  it('Retain, after a create that made nothing: no Retained event, NotCreated says nothing was there', async () => {
    const { obj, status } = await interruptedCreate('never-made', 'Retain');
    const deleted = await reconcileOnce(obj, status, true);
    expect(deleted).toMatchObject({ released: true, thrown: undefined });
    expect(deleted.events).toEqual([
      'NotCreated: no ionos registry never-made was found: the create berth started made none (or none yet); nothing to leave in place',
    ]);
  });

  it('Delete, after a create that made nothing: NotCreated, not "is gone"', async () => {
    const { obj, status } = await interruptedCreate('never-made-del', 'Delete');
    const deleted = await reconcileOnce(obj, status, true);
    expect(deleted.released).toBe(true);
    expect(deleted.events).toEqual([
      'NotCreated: no ionos registry never-made-del was found: the create berth started made none (or none yet); nothing to delete',
    ]);
  });

  it('Retain, after a create whose answer was lost but which made one: Retained, with its id', async () => {
    const obj = registryObject('made-unseen', 'Retain');
    const status: Record<string, unknown> = {};
    ionos.server.faults.schedule({ kind: 'loseResponse' }, { match: POST_REGISTRIES });
    await reconcileOnce(obj, status);
    const made = ionos.registryByName('made-unseen');
    expect(status.externalId).toBeUndefined();
    const deleted = await reconcileOnce(obj, status, true);
    expect(deleted.released).toBe(true);
    expect(deleted.events).toEqual([
      `Retained: left ionos registry made-unseen (${made?.id}) in place (deletionPolicy: Retain)`,
    ]);
  });

  it('Retain, when the provider cannot be asked: goes anyway, saying it is not known', async () => {
    const { obj, status } = await interruptedCreate('unknowable', 'Retain');
    credentialsExist = false;
    try {
      const deleted = await reconcileOnce(obj, status, true);
      expect(deleted).toMatchObject({ released: true, thrown: undefined });
      expect(deleted.events).toHaveLength(1);
      expect(deleted.events[0]).toMatch(
        /^Retained: a create of ionos registry unknowable was interrupted and berth could not look whether it made one \(Secret ionos .*\); if it did, it is left in place/,
      );
    } finally {
      credentialsExist = true;
    }
  });

  it('a create the provider refused: no event at all', async () => {
    const obj = registryObject('refused', 'Retain');
    const status: Record<string, unknown> = {};
    ionos.server.faults.schedule({ kind: 'rateLimit' }, { match: POST_REGISTRIES });
    await reconcileOnce(obj, status);
    expect(status.pendingCreateAt).toBeUndefined();
    const deleted = await reconcileOnce(obj, status, true);
    expect(deleted).toMatchObject({ released: true, events: [] });
  });

  it('a registry berth created: Retained as before', async () => {
    const obj = registryObject('kept', 'Retain');
    const status: Record<string, unknown> = {};
    const created = await reconcileOnce(obj, status);
    expect(created.events).toEqual([`Created: created ionos registry kept (${status.externalId})`]);
    const deleted = await reconcileOnce(obj, status, true);
    expect(deleted.events).toEqual([
      `Retained: left ionos registry kept (${status.externalId}) in place (deletionPolicy: Retain)`,
    ]);
    expect(ionos.registryByName('kept')).toBeDefined();
  });
});
