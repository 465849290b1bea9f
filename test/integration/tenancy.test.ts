// Issue 18, items 1, 5, 6 and 7 and the messages: what a team with the chart's aggregated `edit`
// role in its own namespace can do with the platform team's registries. Every object of a team
// is created as that team (a ServiceAccount kubeconfig), never as admin; the platform team's
// registries are admin's. Each test names the item it proves.
import {
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEANUP_POLICY } from '../../src/controllers/cleanup-policy/controller.ts';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { loginFrom } from '../../src/controllers/registry-token/docker-config.ts';
import { BERTH_FINALIZER } from '../../src/controllers/runtime/finalizers.ts';
import { CONTAINER_REGISTRY } from '../../src/controllers/shared/resources.ts';
import { installBerthCrds } from './berth-crds.ts';
import { adminKubeConfig, createNamespace, dailyScheduleAway, eventually, statusOf } from './helpers.ts';
import { createProviderRegistries } from './provider-registries.ts';
import { type ProviderStack, startProviderStack } from './stack.ts';
import { createTenant, installTenantRoles, type Tenant } from './tenants.ts';

const kc = adminKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);
const events = kc.makeApiClient(EventsV1Api);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

type Condition = { type: string; status: string; reason: string; message: string };
type Obj = {
  metadata: { name: string; generation: number; finalizers?: string[] };
  status?: Record<string, unknown> & { observedGeneration?: number; conditions?: Condition[] };
};

const condition = (o: Obj | undefined, type: string) => o?.status?.conditions?.find((c) => c.type === type);
const isTrue = (o: Obj | undefined, type: string) => condition(o, type)?.status === 'True';

describe('tenants sharing the platform team’s registries (issue 18)', () => {
  let platform: string;
  let teamA: Tenant;
  let teamB: Tenant;
  let stack: ProviderStack;

  const tokenApi = (tenant: Tenant) => ({
    create: (name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
      tenant.custom.createNamespacedCustomObject({
        ...REGISTRY_TOKEN,
        namespace: tenant.namespace,
        body: {
          apiVersion: 'berth.dev/v1alpha1',
          kind: 'RegistryToken',
          metadata: { name, ...metadata },
          spec,
        },
      }),
    read: (name: string) =>
      tenant.custom.getNamespacedCustomObject({
        ...REGISTRY_TOKEN,
        namespace: tenant.namespace,
        name,
      }) as Promise<Obj>,
    patch: (name: string, body: object) =>
      tenant.custom.patchNamespacedCustomObject(
        { ...REGISTRY_TOKEN, namespace: tenant.namespace, name, body },
        mergePatch,
      ),
    remove: (name: string) =>
      tenant.custom.deleteNamespacedCustomObject({ ...REGISTRY_TOKEN, namespace: tenant.namespace, name }),
  });
  const policyApi = (tenant: Tenant) => ({
    create: (name: string, spec: Record<string, unknown>) =>
      tenant.custom.createNamespacedCustomObject({
        ...CLEANUP_POLICY,
        namespace: tenant.namespace,
        body: { apiVersion: 'berth.dev/v1alpha1', kind: 'CleanupPolicy', metadata: { name }, spec },
      }),
    read: (name: string) =>
      tenant.custom.getNamespacedCustomObject({
        ...CLEANUP_POLICY,
        namespace: tenant.namespace,
        name,
      }) as Promise<Obj>,
    annotate: (name: string, annotations: Record<string, string>) =>
      tenant.custom.patchNamespacedCustomObject(
        { ...CLEANUP_POLICY, namespace: tenant.namespace, name, body: { metadata: { annotations } } },
        mergePatch,
      ),
  });
  /** Waits until the object was reconciled in its current generation and `pred` holds. */
  const settled = (read: () => Promise<Obj>, pred: (o: Obj) => boolean, what: string, timeoutMs = 30_000) =>
    eventually(
      async () => {
        const o = await read();
        return o.status?.observedGeneration === o.metadata.generation && pred(o) ? o : undefined;
      },
      { what, timeoutMs },
    );
  const stalledWith = (reason: string) => (o: Obj) =>
    isTrue(o, 'Stalled') && condition(o, 'Stalled')?.reason === reason;
  const grant = (name: string, spec: Record<string, unknown>) =>
    custom.patchNamespacedCustomObject(
      { ...CONTAINER_REGISTRY, namespace: platform, name, body: { spec } },
      mergePatch,
    );
  const ionosIssues = () => stack.sims.ionos.server.log.filter((e) => e.route.startsWith('POST ')).length;
  const ionosCalls = () => stack.sims.ionos.server.log.length;
  const tokenEvents = async (namespace: string, name: string) =>
    (await events.listNamespacedEvent({ namespace })).items.filter((e) => e.regarding?.name === name);

  beforeAll(async () => {
    platform = await createNamespace(kc, 'platform');
    await installBerthCrds(kc, platform);
    await installTenantRoles(kc);
    teamA = await createTenant(kc, 'team-a', { labels: { 'berth-test.dev/tenant': 'a' } });
    teamB = await createTenant(kc, 'team-b', { labels: { 'berth-test.dev/tenant': 'b' } });
    stack = await startProviderStack(kc, [platform, teamA.namespace, teamB.namespace].join(','), {
      operatorArgs: ['--budget-token-rotations-per-hour=2', '--budget-policy-runs-per-hour=1'],
    });
    await createProviderRegistries(kc, platform, stack.sims.endpoints, { observeInterval: '30s' });
    // Shared with team A only, with the default (narrow) grant.
    for (const provider of ['ionos', 'quay'] as const)
      await grant(`reg-${provider}`, {
        allowedNamespaces: { from: 'Selector', selector: { matchLabels: { 'berth-test.dev/tenant': 'a' } } },
      });
    for (const provider of ['ionos', 'quay'] as const)
      await eventually(
        async () =>
          isTrue(
            (await custom.getNamespacedCustomObject({
              ...CONTAINER_REGISTRY,
              namespace: platform,
              name: `reg-${provider}`,
            })) as Obj,
            'Ready',
          ),
        { what: `reg-${provider} Ready` },
      );
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('item 1: by default an admitted team gets pull on its own path, nothing wider, and nothing reaches the provider', async () => {
    const a = tokenApi(teamA);
    const ref = { name: 'reg-ionos', namespace: platform };
    await a.create('own', {
      registryRef: ref,
      scopes: [{ repository: `${teamA.namespace}/*`, actions: ['pull'] }],
    });
    await settled(
      () => a.read('own'),
      (o) => isTrue(o, 'Ready'),
      'own-path token Ready',
    );
    const before = ionosIssues();
    const asks: [string, Record<string, unknown>, string, string][] = [
      [
        'everything',
        { scopes: [{ repository: '*', actions: ['pull', 'push', 'delete'] }] },
        'ScopeNotGranted',
        'spec.scopes[0] asks for delete, pull, push on *',
      ],
      [
        'other-team',
        { scopes: [{ repository: `${teamB.namespace}/*`, actions: ['pull'] }] },
        'ScopeNotGranted',
        `on ${teamB.namespace}/*`,
      ],
      [
        'push',
        { scopes: [{ repository: `${teamA.namespace}/app`, actions: ['push'] }] },
        'ScopeNotGranted',
        'asks for push',
      ],
      [
        'ten-years',
        { scopes: [{ repository: `${teamA.namespace}/*`, actions: ['pull'] }], lifetime: '87600h' },
        'LifetimeNotGranted',
        'spec.lifetime 87600h',
      ],
      [
        'retain',
        { scopes: [{ repository: `${teamA.namespace}/*`, actions: ['pull'] }], deletionPolicy: 'Retain' },
        'RetainNotGranted',
        'spec.deletionPolicy Retain',
      ],
    ];
    for (const [name, spec] of asks) await a.create(name, { registryRef: ref, ...spec });
    for (const [name, , reason, text] of asks) {
      const o = await settled(() => a.read(name), stalledWith(reason), `${name} Stalled/${reason}`);
      expect(condition(o, 'Stalled')?.message).toContain(text);
      expect(condition(o, 'Stalled')?.message).toContain(`ContainerRegistry ${platform}/reg-ionos`);
      expect(o.status?.credentialId).toBeUndefined();
    }
    expect(ionosIssues()).toBe(before);
  });

  it('item 1: a grant widens what a team may do, and push on Quay needs delete granted too', async () => {
    await grant('reg-ionos', {
      grants: [
        {
          namespaces: { names: [teamA.namespace] },
          repositories: ['{namespace}/*'],
          actions: ['pull', 'push'],
        },
      ],
    });
    const a = tokenApi(teamA);
    const ionos = { name: 'reg-ionos', namespace: platform };
    await a.create('ci-push', {
      registryRef: ionos,
      scopes: [{ repository: `${teamA.namespace}/app`, actions: ['pull', 'push'] }],
    });
    await settled(
      () => a.read('ci-push'),
      (o) => isTrue(o, 'Ready'),
      'granted push token Ready',
    );
    await a.create('push-b', {
      registryRef: ionos,
      scopes: [{ repository: `${teamB.namespace}/app`, actions: ['push'] }],
    });
    await settled(() => a.read('push-b'), stalledWith('ScopeNotGranted'), 'push into team B refused');

    await grant('reg-quay', { grants: [{ repositories: ['{namespace}/*'], actions: ['pull', 'push'] }] });
    await a.create('quay-push', {
      registryRef: { name: 'reg-quay', namespace: platform },
      scopes: [{ repository: `${teamA.namespace}/app`, actions: ['push'] }],
      rotateEvery: '24h',
    });
    const quay = await settled(
      () => a.read('quay-push'),
      stalledWith('ScopeNotGranted'),
      'quay push refused',
    );
    expect(condition(quay, 'Stalled')?.message).toContain('quay cannot separate push from delete');
  });

  it('item 1: CleanupPolicies need a cleanup grant, stay inside it, and runs on request are budgeted', async () => {
    const p = policyApi(teamA);
    const ref = { name: 'reg-ionos', namespace: platform };
    await p.create('wipe', {
      registryRef: ref,
      schedule: '0 3 * * *',
      repositories: { include: ['**'] },
      rules: { keepLast: 0 },
    });
    const refused = await settled(() => p.read('wipe'), stalledWith('CleanupNotGranted'), 'wipe refused');
    expect(condition(refused, 'Stalled')?.message).toContain('grants namespace');

    await grant('reg-ionos', {
      grants: [
        {
          namespaces: { names: [teamA.namespace] },
          repositories: ['{namespace}/*'],
          actions: ['pull', 'push'],
          cleanup: { repositories: ['{namespace}/*'], maxDeletionsPerRun: 10, runsPerHour: 1 },
        },
      ],
    });
    const wide = await settled(
      () => p.read('wipe'),
      (o) =>
        stalledWith('CleanupNotGranted')(o) &&
        String(condition(o, 'Stalled')?.message).includes('include[0] **'),
      'wipe still refused for **',
    );
    expect(condition(wide, 'Stalled')?.message).toContain(`${teamA.namespace}/*`);

    await p.create('own', {
      registryRef: ref,
      // Not suspended: a scheduled run in the middle would answer a request unpaid.
      schedule: dailyScheduleAway(Date.now()).schedule,
      dryRun: true,
      repositories: { include: [`${teamA.namespace}/**`] },
      rules: { keepLast: 1 },
      maxDeletionsPerRun: 10,
    });
    await settled(
      () => p.read('own'),
      (o) => isTrue(o, 'Ready'),
      'own policy Ready',
    );
    const run = async (at: string) => p.annotate('own', { 'berth.dev/run-requested-at': at });
    await run('2026-12-06T10:00:00Z');
    await settled(
      () => p.read('own'),
      (o) => o.status?.lastHandledRunRequestAt === '2026-12-06T10:00:00Z',
      'first run on request answered',
    );
    await run('2026-12-06T10:00:01Z');
    const throttled = await settled(
      () => p.read('own'),
      (o) => condition(o, 'Ready')?.reason === 'Throttled',
      'second run on request throttled',
    );
    expect(condition(throttled, 'Ready')?.message).toMatch(
      /cleanup run on request throttled: 1 per hour per CleanupPolicy/,
    );
    expect(throttled.status?.lastHandledRunRequestAt).toBe('2026-12-06T10:00:00Z');

    await p.create('too-often', {
      registryRef: ref,
      schedule: '*/10 * * * *',
      dryRun: true,
      repositories: { include: [`${teamA.namespace}/**`] },
      rules: { keepLast: 1 },
      maxDeletionsPerRun: 10,
    });
    const often = await settled(
      () => p.read('too-often'),
      stalledWith('CleanupNotGranted'),
      'too-often refused',
    );
    expect(condition(often, 'Stalled')?.message).toContain('at most 1 runs per hour');
    await p.create('native', {
      registryRef: { name: 'reg-quay', namespace: platform },
      mode: 'Native',
      repositories: { include: ['**'] },
      rules: { keepLast: 5 },
    });
    await settled(() => p.read('native'), stalledWith('CleanupNotGranted'), 'org-wide Native refused');
    expect(stack.sims.quay.server.log.filter((e) => e.route.includes('autoprune')).length).toBe(0);
  });

  it('item 5: deleting a token whose registry never admitted it calls no provider, whatever its finalizers', async () => {
    const b = tokenApi(teamB);
    await b.create(
      'sneaky',
      {
        registryRef: { name: 'reg-ionos', namespace: platform },
        scopes: [{ repository: '*', actions: ['pull'] }],
      },
      { finalizers: [BERTH_FINALIZER], annotations: { 'berth.dev/issuing': 'berth-00000000-1' } },
    );
    const refused = await eventually(
      async () => {
        const o = await b.read('sneaky');
        return condition(o, 'Ready')?.reason === 'RegistryNotAllowed' ? o : undefined;
      },
      { what: 'team B token refused' },
    );
    expect(condition(refused, 'Ready')?.message).toBe(
      `ContainerRegistry ${platform}/reg-ionos does not exist or does not admit namespace ${teamB.namespace}`,
    );
    const calls = ionosCalls();
    await b.remove('sneaky');
    await eventually(async () => statusOf(await b.read('sneaky').catch((e: unknown) => e)) === 404, {
      what: 'team B token gone',
    });
    expect(ionosCalls()).toBe(calls);
  });

  it('messages: a registry in another namespace that is missing or refuses reads the same', async () => {
    const b = tokenApi(teamB);
    await b.create('missing', {
      registryRef: { name: 'nothing-here', namespace: platform },
      scopes: [{ repository: 'x/*', actions: ['pull'] }],
    });
    const o = await eventually(
      async () => {
        const t = await b.read('missing');
        return condition(t, 'Ready')?.reason ? t : undefined;
      },
      { what: 'missing registry reported' },
    );
    expect(condition(o, 'Ready')?.reason).toBe('RegistryNotAllowed');
    expect(condition(o, 'Ready')?.message).toBe(
      `ContainerRegistry ${platform}/nothing-here does not exist or does not admit namespace ${teamB.namespace}`,
    );
  });

  it('item 6: spec.registryRef cannot be changed', async () => {
    const a = tokenApi(teamA);
    const err = await a
      .patch('own', { spec: { registryRef: { name: 'reg-quay', namespace: platform } } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(statusOf(err)).toBe(422);
    expect(String((err as { body?: unknown }).body)).toContain('spec.registryRef is immutable');
  });

  it('item 6: a team that loses admission loses its credential, Secret and copies within one observeInterval', async () => {
    const a = tokenApi(teamA);
    // Team A's production namespace (the platform team's, admitted like team A) takes its copies.
    const prod = `${teamA.namespace}-prod`;
    await core.createNamespace({
      body: {
        metadata: {
          name: prod,
          labels: { 'berth-test.dev/tenant': 'a' },
          annotations: { 'berth.dev/accept-copies-from': teamA.namespace },
        },
      },
    });
    await a.create('shared', {
      registryRef: { name: 'reg-ionos', namespace: platform },
      scopes: [{ repository: `${teamA.namespace}/*`, actions: ['pull'] }],
      distribute: { namespaces: [prod] },
    });
    const token = await settled(
      () => a.read('shared'),
      (o) => isTrue(o, 'Ready') && String(o.status?.namespacesServed) === prod,
      'shared token Ready and copied',
    );
    await core.readNamespacedSecret({ namespace: prod, name: 'shared' });
    const secret = await teamA.core.readNamespacedSecret({ namespace: teamA.namespace, name: 'shared' });
    const login = loginFrom(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8'));
    if (!login) throw new Error('the Secret holds no docker login');
    expect(stack.sims.ionos.registryAccess.verify(login.username, login.password)).toBeDefined();
    // The platform team stops sharing the registry with team A.
    await grant('reg-ionos', { allowedNamespaces: { from: 'Same', selector: null } });
    const warned = await settled(
      () => a.read('shared'),
      (o) => condition(o, 'Ready')?.reason === 'RegistryNotAllowed' && o.status?.refusedAt !== undefined,
      'refusal recorded',
    );
    expect(warned.status?.credentialId).toBe(token.status?.credentialId);
    const revoked = await settled(
      () => a.read('shared'),
      stalledWith('RegistryNotAllowed'),
      'credential revoked',
      90_000,
    );
    expect(revoked.status?.credentialId).toBeUndefined();
    expect(stack.sims.ionos.registryAccess.verify(login.username, login.password)).toBeUndefined();
    expect(
      statusOf(
        await teamA.core
          .readNamespacedSecret({ namespace: teamA.namespace, name: 'shared' })
          .catch((e: unknown) => e),
      ),
    ).toBe(404);
    const copy = await core
      .readNamespacedSecret({ namespace: prod, name: 'shared' })
      .catch((e: unknown) => e);
    expect(statusOf(copy)).toBe(404);
    const reasons = (await tokenEvents(teamA.namespace, 'shared')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['AccessRefused', 'AccessRevoked']));

    // Admitted again: the token is served again without anyone touching it.
    await grant('reg-ionos', {
      allowedNamespaces: { from: 'Selector', selector: { matchLabels: { 'berth-test.dev/tenant': 'a' } } },
    });
    await settled(
      () => a.read('shared'),
      (o) => isTrue(o, 'Ready') && o.status?.credentialId !== undefined,
      'served again',
    );
  }, 180_000);

  it('item 7: rotations on request beyond the token’s budget are throttled, with a condition and an event', async () => {
    const a = tokenApi(teamA);
    await settled(
      () => a.read('ci-push'),
      (o) => isTrue(o, 'Ready'),
      'ci-push Ready',
    );
    const issued = ionosIssues();
    for (let i = 0; i < 6; i++) {
      await a.patch('ci-push', {
        metadata: { annotations: { 'berth.dev/rotate-requested-at': `2026-12-06T11:00:0${i}Z` } },
      });
      await new Promise((r) => setTimeout(r, 300));
    }
    const throttled = await settled(
      () => a.read('ci-push'),
      (o) => condition(o, 'Ready')?.reason === 'Throttled',
      'rotation throttled',
    );
    expect(condition(throttled, 'Ready')?.message).toMatch(
      /rotation on request throttled: 2 per hour per RegistryToken/,
    );
    // Two rotations at most (the budget), however many requests.
    expect(ionosIssues() - issued).toBeLessThanOrEqual(2);
    expect((await tokenEvents(teamA.namespace, 'ci-push')).some((e) => e.reason === 'Throttled')).toBe(true);
  });
});
