import {
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredControllers } from '../../src/composition.ts';
import { parseConfig } from '../../src/config.ts';
import { CONTAINER_REGISTRY } from '../../src/controllers/shared/resources.ts';
import { type RunningOperator, startOperator } from '../../src/operator.ts';
import { type RunningSimulators, startSimulators } from '../../src/simulators/all.ts';
import { kstatusOf, kstatusViolations } from '../support/kstatus.ts';
import { installBerthCrds } from './berth-crds.ts';
import { adminKubeConfig, createNamespace, eventually, uniqueName } from './helpers.ts';

const kc = adminKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

type Registry = {
  metadata: { name: string; generation: number; finalizers?: string[] };
  status?: Record<string, unknown> & {
    observedGeneration?: number;
    externalId?: string;
    server?: string;
    endpoint?: string;
    conditions?: {
      type: string;
      status: string;
      reason: string;
      message: string;
      lastTransitionTime: string;
    }[];
  };
};

/** How one provider is set up and inspected at its simulator. */
interface ProviderCase {
  secret: Record<string, string>;
  /** metadata.name and spec for a new registry. */
  manifest(suffix: string): { name: string; spec: Record<string, unknown> };
  /** How many registries of that name the simulator holds (deleted ones excluded). */
  countAtProvider(name: string): number;
  /** A setting to change through the spec, and how to read it at the simulator. */
  update?: { spec: Record<string, unknown>; atProvider(name: string): unknown; expected: unknown };
  /** Changes the setting behind berth's back. */
  drift?(name: string): void;
  /** Puts the registry into the provider's failed state (its state word), and repairs it. */
  failure?: { state: string; fail(name: string): void; recover(name: string): void };
}

describe('ContainerRegistry controller on the real control plane with the simulators', () => {
  let namespace: string;
  let sims: RunningSimulators;
  let operator: RunningOperator;
  const cases: Record<string, () => ProviderCase> = {
    ionos: () => ({
      secret: { token: sims.endpoints.ionos.token },
      manifest: (s) => ({
        name: `berth-ionos-${s}`,
        spec: {
          provider: 'ionos',
          credentialsRef: { name: 'creds-ionos' },
          ionos: { location: 'de/fra', apiEndpoint: sims.endpoints.ionos.baseUrl },
        },
      }),
      countAtProvider: (name) => {
        const r = sims.ionos.registryByName(name);
        return r && r.deletingSince === undefined ? 1 : 0;
      },
      update: {
        spec: { ionos: { garbageCollection: { days: ['Sunday'], time: '04:00:00+00:00' } } },
        atProvider: (name) => sims.ionos.registryByName(name)?.gc,
        expected: { days: ['Sunday'], time: '04:00:00+00:00' },
      },
      drift: (name) => {
        const r = sims.ionos.registryByName(name);
        if (r) r.gc = undefined;
      },
      failure: {
        state: 'FAILED',
        fail: (name) => sims.ionos.failRegistry(sims.ionos.registryByName(name)?.id ?? '', 'FAILED'),
        recover: (name) => sims.ionos.recoverRegistry(sims.ionos.registryByName(name)?.id ?? ''),
      },
    }),
    selectel: () => ({
      secret: {
        username: sims.endpoints.selectel.username,
        password: sims.endpoints.selectel.password,
        accountId: sims.endpoints.selectel.accountId,
      },
      manifest: (s) => ({
        name: `sel-${s}`,
        spec: {
          provider: 'selectel',
          credentialsRef: { name: 'creds-selectel' },
          selectel: {
            projectId: sims.endpoints.selectel.projectId,
            apiEndpoint: sims.endpoints.selectel.apiEndpoint,
            identityEndpoint: sims.endpoints.selectel.identityEndpoint,
          },
        },
      }),
      countAtProvider: (name) => {
        const r = sims.selectel.registryNamed(name);
        return r && r.status !== 'DELETING' ? 1 : 0;
      },
      failure: {
        state: 'ERROR',
        fail: (name) => sims.selectel.failRegistry(sims.selectel.registryNamed(name)?.id ?? ''),
        recover: (name) => sims.selectel.recoverRegistry(sims.selectel.registryNamed(name)?.id ?? ''),
      },
    }),
    quay: () => ({
      secret: { token: sims.endpoints.quay.token },
      manifest: (s) => ({
        name: `quay-${s}`,
        spec: {
          provider: 'quay',
          credentialsRef: { name: 'creds-quay' },
          quay: { url: sims.endpoints.quay.url, organization: `org${s}`, email: 'ops@example.com' },
        },
      }),
      countAtProvider: (name) => (sims.quay.organization(name.replace(/^quay-/, 'org')) ? 1 : 0),
      update: {
        spec: { quay: { timeMachineExpiration: '1w' } },
        atProvider: (name) => sims.quay.organization(name.replace(/^quay-/, 'org'))?.tagExpirationS,
        expected: 604_800,
      },
      drift: (name) => {
        const org = sims.quay.organization(name.replace(/^quay-/, 'org'));
        if (org) org.tagExpirationS = 0;
      },
    }),
  };

  const read = (name: string) =>
    custom.getNamespacedCustomObject({ ...CONTAINER_REGISTRY, namespace, name }) as Promise<Registry>;
  const create = (name: string, spec: Record<string, unknown>) =>
    custom.createNamespacedCustomObject({
      ...CONTAINER_REGISTRY,
      namespace,
      body: { apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerRegistry', metadata: { name }, spec },
    });
  const patch = (name: string, body: object) =>
    custom.patchNamespacedCustomObject({ ...CONTAINER_REGISTRY, namespace, name, body }, mergePatch);
  const condition = (obj: Registry, type: string) => obj.status?.conditions?.find((c) => c.type === type);
  const ready = (name: string, timeoutMs = 30_000) =>
    eventually(
      async () => {
        const obj = await read(name);
        return condition(obj, 'Ready')?.status === 'True' &&
          obj.status?.observedGeneration === obj.metadata.generation
          ? obj
          : undefined;
      },
      { timeoutMs, what: `${name} Ready` },
    );
  const gone = (name: string) =>
    eventually(
      () =>
        read(name).then(
          () => false,
          (err: unknown) => (err as { code?: number }).code === 404,
        ),
      { timeoutMs: 30_000, what: `${name} deleted` },
    );
  const events = async (name: string) =>
    (await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace })).items
      .filter((e) => e.regarding?.name === name)
      .map((e) => e.reason);

  beforeAll(async () => {
    namespace = await createNamespace(kc, 'creg');
    await installBerthCrds(kc, namespace);
    sims = await startSimulators({ registryHost: '127.0.0.1:5999', processMs: 300 });
    for (const [provider, make] of Object.entries(cases)) {
      await core.createNamespacedSecret({
        namespace,
        body: { metadata: { name: `creds-${provider}` }, stringData: make().secret },
      });
    }
    const config = parseConfig(
      [
        `--namespaces=${namespace}`,
        '--leader-elect=false',
        '--metrics-addr=127.0.0.1:0',
        '--workers=4',
        '--provider-registry-host=127.0.0.1:5999',
      ],
      {},
    );
    operator = await startOperator(config, registeredControllers, {
      kubeConfig: kc,
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await operator?.stop('test done');
    await sims?.stop();
  });

  // Providers are independent (own names, own Secrets): run them side by side.
  describe.concurrent.each(['ionos', 'selectel', 'quay'])('%s', (provider) => {
    const setup = () => (cases[provider] as () => ProviderCase)();

    it('creates the registry and becomes Ready with its server known', async () => {
      const c = setup();
      const { name, spec } = c.manifest(uniqueName('a').slice(2));
      await create(name, spec);
      const obj = await ready(name);
      expect(obj.status?.externalId).toBeTruthy();
      // The docker login host alone; images are under the registry (Selectel) or organization (Quay).
      expect(obj.status?.server).toBe('127.0.0.1:5999');
      expect(obj.status?.endpoint).toBe(
        provider === 'ionos'
          ? '127.0.0.1:5999'
          : `127.0.0.1:5999/${provider === 'quay' ? name.replace(/^quay-/, 'org') : name}`,
      );
      expect(obj.metadata.finalizers).toEqual(['berth.dev/finalizer']);
      expect(kstatusViolations(obj)).toEqual([]);
      expect(kstatusOf(obj)).toBe('Current');
      expect(c.countAtProvider(name)).toBe(1);
      expect(await events(name)).toContain('Created');
    });

    it('takes a spec change to the provider and puts back drift made there', {
      timeout: 90_000,
    }, async (ctx) => {
      const c = setup();
      if (!c.update || !c.drift) return ctx.skip(); // nothing about a Selectel registry can be changed
      const { name, spec } = c.manifest(uniqueName('u').slice(2));
      await create(name, spec);
      await ready(name);
      await patch(name, { spec: c.update.spec });
      await ready(name);
      expect(c.update.atProvider(name)).toEqual(c.update.expected);
      expect(await events(name)).toContain('Updated');

      // IONOS: found at once on request; Quay: found by the periodic observe (30 s here, 10 min by default).
      if (provider === 'ionos') {
        c.drift(name);
        await patch(name, { metadata: { annotations: { 'berth.dev/reconcile-requested-at': 'drift-1' } } });
      } else {
        await patch(name, { spec: { observeInterval: '30s' } });
        await ready(name);
        c.drift(name);
      }
      await eventually(
        () => JSON.stringify(c.update?.atProvider(name)) === JSON.stringify(c.update?.expected),
        {
          timeoutMs: 60_000,
          what: 'drift put back',
        },
      );
      await eventually(async () => (await events(name)).includes('DriftCorrected'), {
        what: 'DriftCorrected event',
      });
    });

    it('Failed registries (issue #12 item 10): Stalled with the provider state while failed, Ready again once repaired', {
      timeout: 150_000,
    }, async (ctx) => {
      const c = setup();
      if (!c.failure) return ctx.skip(); // a Quay organization has no failed state
      const { state, fail, recover } = c.failure;
      const { name, spec } = c.manifest(uniqueName('f').slice(2));
      await create(name, { ...spec, observeInterval: '30s' });
      await ready(name);
      // Noticed by the periodic observe (30 s here), like any change at the provider.
      fail(name);
      const stalled = await eventually(
        async () => {
          const obj = await read(name);
          return condition(obj, 'Stalled')?.status === 'True' ? obj : undefined;
        },
        { timeoutMs: 60_000, what: `${name} Stalled` },
      );
      expect(condition(stalled, 'Stalled')?.reason).toBe('RegistryFailed');
      expect(condition(stalled, 'Ready')).toMatchObject({ status: 'False', reason: 'RegistryFailed' });
      expect(condition(stalled, 'Ready')?.message).toContain(state);
      expect(stalled.status?.providerState).toBe(state);
      expect(kstatusViolations(stalled)).toEqual([]);
      expect(kstatusOf(stalled)).toBe('Failed');
      // Stalled, yet still polled: a repair at the provider clears it without anyone touching the object.
      recover(name);
      const repaired = await ready(name, 60_000);
      expect(condition(repaired, 'Stalled')).toBeUndefined();
      expect(kstatusOf(repaired)).toBe('Current');
    });

    it('leaves the provider registry on delete with Retain, removes it with Delete', async () => {
      const c = setup();
      const kept = c.manifest(uniqueName('r').slice(2));
      await create(kept.name, kept.spec);
      const removed = c.manifest(uniqueName('d').slice(2));
      await create(removed.name, { ...removed.spec, deletionPolicy: 'Delete' });
      await ready(kept.name);
      await ready(removed.name);
      await custom.deleteNamespacedCustomObject({ ...CONTAINER_REGISTRY, namespace, name: kept.name });
      await custom.deleteNamespacedCustomObject({ ...CONTAINER_REGISTRY, namespace, name: removed.name });
      await gone(kept.name);
      await gone(removed.name);
      expect(c.countAtProvider(kept.name)).toBe(1);
      expect(c.countAtProvider(removed.name)).toBe(0);
    });

    it('reports AuthenticationFailed for bad credentials and recovers once the Secret is fixed', async () => {
      const c = setup();
      const secretName = `bad-${provider}`;
      const bad = Object.fromEntries(
        Object.entries(c.secret).map(([k, v]) => [k, k === 'accountId' ? v : `${v}-wrong`]),
      );
      await core.createNamespacedSecret({
        namespace,
        body: { metadata: { name: secretName }, stringData: bad },
      });
      const { name, spec } = c.manifest(uniqueName('b').slice(2));
      await create(name, { ...spec, credentialsRef: { name: secretName } });
      const failing = await eventually(
        async () => {
          const obj = await read(name);
          return condition(obj, 'Ready')?.reason === 'AuthenticationFailed' ? obj : undefined;
        },
        { what: 'AuthenticationFailed' },
      );
      expect(condition(failing, 'Ready')?.status).toBe('False');
      expect(kstatusViolations(failing)).toEqual([]);
      for (const value of Object.values(bad)) {
        if (value.length > 8) expect(JSON.stringify(failing.status)).not.toContain(value);
      }
      await core.replaceNamespacedSecret({
        namespace,
        name: secretName,
        body: { metadata: { name: secretName }, stringData: c.secret },
      });
      await ready(name, 60_000);
    });
  });
});
