import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
  TEST_USER,
} from '../../../test/support/providers/selectel.ts';
import { createProviderFactory } from '../../clients/factory.ts';
import { type ContainerRegistry, ContainerRegistrySchema } from '../../crds/container-registry.ts';
import { IonosSimulator } from '../../simulators/ionos/simulator.ts';
import { dockerConfigJson } from '../registry-token/docker-config.ts';
import type { Condition } from '../runtime/conditions.ts';
import { classify, effectsOf, type OutcomeEffects } from '../runtime/outcome.ts';
import { providerOf } from '../shared/reference.ts';
import { ContainerRegistryReconciler } from './reconcile.ts';

// The reconciler against the simulators, with the engine's own outcome mapping, so that what a
// user would see (conditions, status, when it is looked at again) is what is asserted.
let ionos: IonosSimulator;
let selectel: SelectelTestBed;

beforeAll(async () => {
  // Registries berth creates here stay provisioning; seeded ones are Running at once.
  ionos = new IonosSimulator({ provisionDelayMs: 3_600_000, deletionDelayMs: 0 });
  await ionos.start();
  selectel = await startSelectelTestBed({ registryHost: undefined });
});
afterAll(async () => {
  await ionos?.stop();
  await selectel?.stop();
});

const credentials: Record<string, () => Record<string, string>> = {
  ionos: () => ({ token: ionos.apiToken }),
  selectel: () => ({
    username: TEST_USER.username,
    password: TEST_USER.password,
    accountId: TEST_USER.accountId,
  }),
};
const providers = createProviderFactory();
const reconciler = new ContainerRegistryReconciler({
  providers,
  readCredentials: async (_ns, name) => credentials[name]?.(),
});

function registryObject(provider: 'ionos' | 'selectel', name: string): ContainerRegistry {
  const block =
    provider === 'ionos'
      ? { ionos: { location: 'de/fra', vulnerabilityScanning: false, apiEndpoint: ionos.url } }
      : {
          selectel: {
            projectId: TEST_PROJECT,
            apiEndpoint: selectel.sim.apiEndpoint,
            identityEndpoint: selectel.sim.identityEndpoint,
          },
        };
  return ContainerRegistrySchema.parse({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'ContainerRegistry',
    metadata: { name, namespace: 'ns', generation: 1, uid: `uid-${name}` },
    spec: { provider, credentialsRef: { name: provider }, adoptionPolicy: 'Adopt', ...block },
  });
}

/** One reconcile as the engine runs it: the status it leaves and the outcome's effects. */
async function reconcileOnce(
  obj: ContainerRegistry,
  status: Record<string, unknown>,
  deleting = false,
): Promise<OutcomeEffects & { thrown: unknown }> {
  let returned: Awaited<ReturnType<typeof reconciler.reconcile>> | undefined;
  let thrown: unknown;
  try {
    returned = await reconciler.reconcile({
      object: obj,
      status,
      logger: pino({ level: 'silent' }),
      recordEvent: async () => undefined,
      signal: new AbortController().signal,
      now: () => Date.now(),
      deleting,
      ensureFinalizer: async () => false,
      removeFinalizer: async () => false,
      persistStatus: async () => undefined,
      recordIntent: async () => undefined,
      waitShared: (work) => work,
    });
  } catch (err) {
    thrown = err;
  }
  const previous = (status.conditions as Condition[] | undefined) ?? [];
  const effects = effectsOf(classify(returned, thrown), previous, 1, Date.now());
  status.conditions = effects.conditions;
  return { ...effects, thrown };
}

const condition = (status: Record<string, unknown>, type: string) =>
  (status.conditions as Condition[]).find((c) => c.type === type);

describe('Failed registries (issue #12 item 10): Stalled with the provider state, polled until repaired', () => {
  // IONOS: Terraform "treats the generic IONOS failure states `FAILED`, `FAILED_SUSPENDED`,
  // `FAILED_UPDATING`, `FAILED_DESTROYING` as errors" (shared/providers/ionos.md).
  // Selectel: "`ERROR` → failed" (shared/providers/selectel.md, from craas-go registry/schemas.go).
  const cases = [
    {
      provider: 'ionos' as const,
      state: 'FAILED',
      seed: (name: string) => ionos.addRegistry({ name }).id,
      fail: (id: string) => ionos.failRegistry(id, 'FAILED'),
      recover: (id: string) => ionos.recoverRegistry(id),
      running: 'Running',
    },
    {
      provider: 'ionos' as const,
      state: 'FAILED_SUSPENDED',
      seed: (name: string) => ionos.addRegistry({ name }).id,
      fail: (id: string) => ionos.failRegistry(id, 'FAILED_SUSPENDED'),
      recover: (id: string) => ionos.recoverRegistry(id),
      running: 'Running',
    },
    {
      provider: 'selectel' as const,
      state: 'ERROR',
      seed: (name: string) => selectel.sim.addRegistry(TEST_PROJECT, name).id,
      fail: (id: string) => selectel.sim.failRegistry(id),
      recover: (id: string) => selectel.sim.recoverRegistry(id),
      running: 'ACTIVE',
    },
  ];

  it.each(cases)(
    '$provider $state: Stalled (not waiting), rechecked at observeInterval, Ready once running again',
    async (c) => {
      const name = `failed-${c.state.toLowerCase().replace(/_/g, '-')}`.slice(0, 20);
      const id = c.seed(name);
      const obj = registryObject(c.provider, name);
      const status: Record<string, unknown> = {};
      expect((await reconcileOnce(obj, status)).thrown).toBeUndefined();
      expect(condition(status, 'Ready')?.status).toBe('True');

      c.fail(id);
      const failed = await reconcileOnce(obj, status);
      expect(condition(status, 'Stalled')).toMatchObject({ status: 'True', reason: 'RegistryFailed' });
      expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'RegistryFailed' });
      expect(condition(status, 'Ready')?.message).toContain(c.state);
      expect(condition(status, 'Reconciling')).toBeUndefined();
      expect(status.providerState).toBe(c.state);
      // Stalled objects are normally left alone; this one is looked at again every observeInterval.
      expect(failed.queue).toEqual({ kind: 'forgetAndRequeueAfter', afterMs: 600_000 });

      c.recover(id);
      const repaired = await reconcileOnce(obj, status);
      expect(repaired.thrown).toBeUndefined();
      expect(condition(status, 'Stalled')).toBeUndefined();
      expect(condition(status, 'Ready')?.status).toBe('True');
      expect(status.providerState).toBe(c.running);
    },
  );

  it('an IONOS registry that fails while provisioning is Stalled, not Provisioning forever', async () => {
    const obj = registryObject('ionos', 'failed-new');
    obj.spec.adoptionPolicy = 'Never';
    const status: Record<string, unknown> = {};
    await reconcileOnce(obj, status);
    expect(condition(status, 'Ready')?.reason).toBe('Provisioning');
    ionos.failRegistry(String(status.externalId));
    const failed = await reconcileOnce(obj, status);
    expect(condition(status, 'Stalled')?.reason).toBe('RegistryFailed');
    expect(failed.queue).toEqual({ kind: 'forgetAndRequeueAfter', afterMs: 600_000 });
    expect(status.server).toBeUndefined();
  });
});

describe('Selectel endpoint (issue #12 item 12): login host apart from the image prefix', () => {
  // "docker login host | `cr.selcloud.ru` (the same host as the API). Image refs are
  // `cr.selcloud.ru/<registry-name>/<image>:<tag>`" (shared/providers/selectel.md).
  it('status.server is the host alone, status.endpoint is host/registry, and the Secret auths key is the host', async () => {
    selectel.sim.addRegistry(TEST_PROJECT, 'shop-eu');
    const obj = registryObject('selectel', 'shop-eu');
    const status: Record<string, unknown> = {};
    await reconcileOnce(obj, status);
    const host = new URL(selectel.sim.apiEndpoint).host;
    expect(status.server).toBe(host);
    expect(status.endpoint).toBe(`${host}/shop-eu`);

    const ready = { ...obj, status: { ...obj.status, ...status } } as ContainerRegistry;
    const { provider, registry } = await providerOf(
      {
        getRegistry: async () => ready,
        namespaceLabels: async () => ({}),
        providers,
        readCredentials: async (_ns, name) => credentials[name]?.(),
      },
      ready,
    );
    const issued = await provider.tokens.issue({
      registry,
      name: 'berth-shop-eu-1',
      scopes: [{ repository: '*', actions: ['pull'] }],
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    expect(Object.keys(JSON.parse(dockerConfigJson(issued.login)).auths)).toEqual([host]);

    // IONOS, by contrast, gives each registry a host of its own: server and endpoint are the same.
    ionos.addRegistry({ name: 'shop-endpoint' });
    const other: Record<string, unknown> = {};
    await reconcileOnce(registryObject('ionos', 'shop-endpoint'), other);
    expect(other.server).toBe('shop-endpoint.cr.de-fra.ionos.com');
    expect(other.endpoint).toBe('shop-endpoint.cr.de-fra.ionos.com');
  });
});

describe('a create the provider refused (issue 18, smaller ones): pendingCreateAt', () => {
  const POST_REGISTRIES = { method: 'POST', path: /\/registries$/ };
  const owned = (name: string) => {
    const obj = registryObject('ionos', name);
    obj.spec.adoptionPolicy = 'Never';
    obj.spec.deletionPolicy = 'Delete';
    return obj;
  };

  it('is cleared after a 4xx, so a registry someone else creates later is neither taken nor deleted', async () => {
    const obj = owned('refused-then-taken');
    const status: Record<string, unknown> = {};
    ionos.server.faults.schedule({ kind: 'rateLimit' }, { match: POST_REGISTRIES });
    const refused = await reconcileOnce(obj, status);
    expect(refused.thrown).toBeDefined();
    expect(ionos.registryByName('refused-then-taken')).toBeUndefined();
    expect(status.pendingCreateAt).toBeUndefined();

    // Someone else creates a registry of that name in the same account.
    const theirs = ionos.addRegistry({ name: 'refused-then-taken' });
    await reconcileOnce(obj, status);
    expect(condition(status, 'Stalled')).toMatchObject({ status: 'True', reason: 'AlreadyExists' });
    expect(status.externalId).toBeUndefined();

    // Deleting the ContainerRegistry (deletionPolicy: Delete) leaves their registry alone.
    await reconcileOnce(obj, status, true);
    expect(ionos.registry(theirs.id).name).toBe('refused-then-taken');
    expect(ionos.server.log.some((e) => e.method === 'DELETE' && e.path.endsWith(theirs.id))).toBe(false);
  });

  it('is cleared after a name conflict (409)', async () => {
    ionos.reserveName('held-elsewhere');
    const status: Record<string, unknown> = {};
    await reconcileOnce(owned('held-elsewhere'), status);
    expect(condition(status, 'Stalled')?.reason).toBe('AlreadyExists');
    expect(status.pendingCreateAt).toBeUndefined();
  });

  it.each([
    { what: 'a 503', fault: { kind: 'serverError', status: 503 } as const },
    { what: 'a connection reset', fault: { kind: 'reset' } as const },
  ])('is kept after $what: the outcome is unknown', async ({ what, fault }) => {
    const name = `unknown-${what.length}`;
    const status: Record<string, unknown> = {};
    ionos.server.faults.schedule(fault, { match: POST_REGISTRIES });
    expect((await reconcileOnce(owned(name), status)).thrown).toBeDefined();
    expect(status.pendingCreateAt).toBeDefined();
  });

  it('is kept after a lost answer, and the registry that create made is recognised as ours', async () => {
    const obj = owned('lost-answer');
    const status: Record<string, unknown> = {};
    ionos.server.faults.schedule({ kind: 'loseResponse' }, { match: POST_REGISTRIES });
    await reconcileOnce(obj, status);
    expect(status.pendingCreateAt).toBeDefined();
    const made = ionos.registryByName('lost-answer');
    await reconcileOnce(obj, status);
    expect(status.externalId).toBe(made?.id);
    expect(condition(status, 'Stalled')).toBeUndefined();
    expect(status.pendingCreateAt).toBeUndefined();
  });
});
