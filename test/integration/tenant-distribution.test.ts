// Issue 18, items 3 and 4, as tenants: team A (the aggregated `edit` role in its namespace only)
// distributes its RegistryToken's Secret towards team B. Nothing lands in B without B's consent
// (annotations on B's Namespace, set by whoever owns it: here the platform, as admin), copies
// carry only what B accepts, and deleting a token whose Secret was renamed to B's own pull secret
// leaves B's entry alone. The operator runs in-process with the provider simulators.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { installBerthCrds } from './berth-crds.ts';
import { adminKubeConfig, eventually, statusOf } from './helpers.ts';
import { createContainerRegistry, providerRegistries } from './provider-registries.ts';
import { type ProviderStack, startProviderStack } from './stack.ts';
import { createTenant, installTenantRoles, type Tenant } from './tenants.ts';
import { type TestToken, tokenReader } from './tokens.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const TOKEN = 'a-token';

describe('distribution between tenants (issue 18, items 3 and 4)', () => {
  let a: Tenant;
  let b: Tenant;
  let stack: ProviderStack;
  const tokens = tokenReader(kc, () => a.namespace);
  const readyMessage = (t: TestToken) => t.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
  const secretIn = (namespace: string, name: string) =>
    core.readNamespacedSecret({ namespace, name }).catch((err: unknown) => statusOf(err) ?? 0);
  const defaultOf = (namespace: string) => core.readNamespacedServiceAccount({ namespace, name: 'default' });
  /** Sets (or with null removes) annotations of B's Namespace, as B's owner would. */
  const consentOfB = (annotations: Record<string, string | null>) =>
    core.patchNamespace({ name: b.namespace, body: { metadata: { annotations } } }, mergePatch);
  /** Edits A's token as tenant A. */
  const editToken = (spec: Record<string, unknown>) =>
    a.custom.patchNamespacedCustomObject(
      { ...REGISTRY_TOKEN, namespace: a.namespace, name: TOKEN, body: { spec } },
      mergePatch,
    );

  beforeAll(async () => {
    await installBerthCrds(kc, 'default');
    await installTenantRoles(kc);
    a = await createTenant(kc, 'team-a');
    b = await createTenant(kc, 'team-b');
    stack = await startProviderStack(kc, a.namespace);
    // The platform gives team A a registry in its namespace, usable from every namespace (so the
    // registry admits B: only B's consent is left to decide).
    const { spec, secret } = providerRegistries(stack.sims.endpoints).ionos;
    await core.createNamespacedSecret({
      namespace: a.namespace,
      body: { metadata: { name: 'api-ionos' }, stringData: secret },
    });
    await createContainerRegistry(custom, a.namespace, 'reg-ionos', {
      ...spec,
      allowedNamespaces: { from: 'All' },
    });
    await eventually(() => defaultOf(b.namespace), { what: `ServiceAccount default in ${b.namespace}` });
    // Team B pulls with a Secret of its own, which berth never added.
    await b.core.patchNamespacedServiceAccount(
      { namespace: b.namespace, name: 'default', body: { imagePullSecrets: [{ name: 'team-b-pull' }] } },
      mergePatch,
    );
    await a.custom.createNamespacedCustomObject({
      ...REGISTRY_TOKEN,
      namespace: a.namespace,
      body: {
        apiVersion: 'berth.dev/v1alpha1',
        kind: 'RegistryToken',
        metadata: { name: TOKEN },
        spec: {
          registryRef: { name: 'reg-ionos' },
          scopes: [{ repository: `${a.namespace}/*`, actions: ['pull'] }],
          secret: {
            name: 'a-pull',
            labels: { team: 'a', 'app.kubernetes.io/instance': 'a-apps' },
            annotations: { 'argocd.argoproj.io/tracking-id': 'a-apps:/Secret:x/a-pull' },
          },
          distribute: { namespaces: [b.namespace], serviceAccounts: ['default'] },
        },
      },
    });
  });
  afterAll(() => stack?.stop());

  it('item 4: without B’s consent nothing lands in B and no ServiceAccount there changes', async () => {
    const token = await tokens.ready(TOKEN, (t) => readyMessage(t).includes('not distributed'), 120_000);
    expect(readyMessage(token)).toContain(
      `namespace ${b.namespace} takes no copy until its annotation berth.dev/accept-copies-from lists ${a.namespace} or ${a.namespace}/${TOKEN}`,
    );
    expect(await secretIn(b.namespace, 'a-pull')).toBe(404);
    const sa = await defaultOf(b.namespace);
    expect(sa.imagePullSecrets?.map((e) => e.name)).toEqual(['team-b-pull']);
    expect(sa.metadata?.annotations?.['berth.dev/attached-pull-secrets']).toBeUndefined();
  });

  it('item 4: with B’s consent the copy comes, carrying only berth’s labels and annotations', async () => {
    await consentOfB({
      'berth.dev/accept-copies-from': `${a.namespace}/${TOKEN}`,
      'berth.dev/accept-service-accounts': 'default',
    });
    await tokens.ready(TOKEN, (t) => !readyMessage(t).includes('not distributed'), 60_000);
    const copy = await eventually(async () => {
      const found = await secretIn(b.namespace, 'a-pull');
      return typeof found === 'number' ? undefined : found;
    });
    expect(copy.type).toBe('kubernetes.io/dockerconfigjson');
    expect(copy.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'berth',
      'berth.dev/token-uid': (await tokens.read(TOKEN)).metadata.uid,
    });
    expect(Object.keys(copy.metadata?.annotations ?? {}).every((k) => k.startsWith('berth.dev/'))).toBe(true);
    const sa = await eventually(async () => {
      const found = await defaultOf(b.namespace);
      return found.imagePullSecrets?.some((e) => e.name === 'a-pull') ? found : undefined;
    });
    expect(sa.imagePullSecrets?.map((e) => e.name)).toEqual(['team-b-pull', 'a-pull']);
    expect(sa.metadata?.annotations?.['berth.dev/attached-pull-secrets']).toBe('a-pull');
  });

  it('item 4: a label B accepts is carried; an annotation B did not accept never is', async () => {
    await consentOfB({ 'berth.dev/accept-copy-labels': 'team' });
    const copy = await eventually(async () => {
      const found = await secretIn(b.namespace, 'a-pull');
      return typeof found !== 'number' && found.metadata?.labels?.team === 'a' ? found : undefined;
    });
    expect(copy.metadata?.labels?.['app.kubernetes.io/instance']).toBeUndefined();
    expect(copy.metadata?.annotations?.['argocd.argoproj.io/tracking-id']).toBeUndefined();
  });

  it('item 3: deleting a token renamed to B’s own pull secret leaves B’s entry in place', async () => {
    await editToken({ secret: { name: 'team-b-pull' } });
    await eventually(async () => (await secretIn(b.namespace, 'a-pull')) === 404, {
      timeoutMs: 60_000,
      what: 'the copy of the old name to go',
    });
    await eventually(async () => typeof (await secretIn(b.namespace, 'team-b-pull')) !== 'number', {
      timeoutMs: 60_000,
      what: 'the copy of the new name',
    });
    // berth's old entry is gone; B's own entry of the new name was there first and is not berth's.
    const renamed = await defaultOf(b.namespace);
    expect(renamed.imagePullSecrets?.map((e) => e.name)).toEqual(['team-b-pull']);
    expect(renamed.metadata?.annotations?.['berth.dev/attached-pull-secrets']).toBeUndefined();

    await a.custom.deleteNamespacedCustomObject({ ...REGISTRY_TOKEN, namespace: a.namespace, name: TOKEN });
    await eventually(
      () =>
        tokens.read(TOKEN).then(
          () => false,
          (err: unknown) => statusOf(err) === 404,
        ),
      { timeoutMs: 60_000, what: 'the token to be gone' },
    );
    expect(await secretIn(b.namespace, 'team-b-pull')).toBe(404);
    expect((await defaultOf(b.namespace)).imagePullSecrets?.map((e) => e.name)).toEqual(['team-b-pull']);
  });
});
