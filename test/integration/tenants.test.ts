// The tenant identity of the tenant-attack suite (issue 18): a team holding the chart's aggregated
// `edit` role in its namespace writes RegistryTokens, CleanupPolicies and Secrets there, only reads
// ContainerRegistries, never writes status, and reaches nothing in another team's namespace or at
// cluster scope. If this identity were stronger than a real tenant, every attack test built on it
// would prove less than it claims.
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1ResourceRule,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLEANUP_POLICY } from '../../src/controllers/cleanup-policy/controller.ts';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { CONTAINER_REGISTRY } from '../../src/controllers/shared/resources.ts';
import { installBerthCrds } from './berth-crds.ts';
import { validSpecs } from './crd-validation.cases.ts';
import { adminKubeConfig, statusOf, uniqueName } from './helpers.ts';
import { createTenant, installTenantRoles, type Tenant } from './tenants.ts';

const kc = adminKubeConfig();
const adminCore = kc.makeApiClient(CoreV1Api);
const adminCustom = kc.makeApiClient(CustomObjectsApi);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

type Kind = typeof REGISTRY_TOKEN;
/** Each berth kind with a valid spec, for what must hold for all of them. */
const KINDS = [
  ['RegistryTokens', REGISTRY_TOKEN, validSpecs.token],
  ['CleanupPolicies', CLEANUP_POLICY, validSpecs.policy],
  ['ContainerRegistries', CONTAINER_REGISTRY, validSpecs.ionos],
] as const;

let a: Tenant;
let b: Tenant;

/** A berth object of `kind` named `name` with a valid spec. */
const body = (kind: Kind, name: string, spec: object) => ({
  apiVersion: `${kind.group}/${kind.version}`,
  kind: kind.kind,
  metadata: { name },
  spec,
});

/** The HTTP status a call ends with (200 when it succeeds). */
async function outcome(call: () => Promise<unknown>): Promise<number | undefined> {
  return call().then(
    () => 200,
    (err: unknown) => statusOf(err),
  );
}

/** The resource rules the tenant holds in a namespace, as `group/resource: verbs`. */
async function rulesIn(tenant: Tenant, namespace: string): Promise<string[]> {
  const review = await tenant.kubeConfig
    .makeApiClient(AuthorizationV1Api)
    .createSelfSubjectRulesReview({ body: { spec: { namespace } } });
  return (review.status?.resourceRules ?? []).flatMap((r: V1ResourceRule) =>
    (r.apiGroups ?? ['']).flatMap((g) =>
      (r.resources ?? []).map((res) => `${g || 'core'}/${res}: ${[...r.verbs].sort().join(',')}`),
    ),
  );
}

beforeAll(async () => {
  await installBerthCrds(kc, 'default');
  await installTenantRoles(kc);
  [a, b] = await Promise.all([
    createTenant(kc, 'team-a', { labels: { 'berth.dev/team': 'a' }, annotations: { owner: 'team-a' } }),
    createTenant(kc, 'team-b'),
  ]);
});

describe('a tenant with the aggregated edit role', () => {
  it('gets its namespace with the labels and annotations asked for, as its own ServiceAccount', async () => {
    const review = await a.kubeConfig
      .makeApiClient(AuthenticationV1Api)
      .createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(a.user);
    const namespace = await adminCore.readNamespace({ name: a.namespace });
    expect(namespace.metadata?.labels).toMatchObject({ 'berth.dev/team': 'a' });
    expect(namespace.metadata?.annotations).toMatchObject({ owner: 'team-a' });
  });

  it.each([
    ['RegistryTokens', REGISTRY_TOKEN, validSpecs.token],
    ['CleanupPolicies', CLEANUP_POLICY, validSpecs.policy],
  ])('creates, patches and deletes %s in its namespace', async (_what, kind, spec) => {
    const name = uniqueName('own');
    const target = { ...kind, namespace: a.namespace };
    await a.custom.createNamespacedCustomObject({ ...target, body: body(kind, name, spec) });
    const patched = (await a.custom.patchNamespacedCustomObject(
      { ...target, name, body: { metadata: { labels: { tier: 'web' } } } },
      mergePatch,
    )) as { metadata: { labels?: Record<string, string> } };
    expect(patched.metadata.labels).toEqual({ tier: 'web' });
    await a.custom.deleteNamespacedCustomObject({ ...target, name });
    expect(await outcome(() => a.custom.getNamespacedCustomObject({ ...target, name }))).toBe(404);
  });

  it('creates, patches and deletes Secrets in its namespace', async () => {
    const name = uniqueName('own');
    await a.core.createNamespacedSecret({
      namespace: a.namespace,
      body: { metadata: { name }, stringData: { password: 'not-a-real-one' } },
    });
    const patched = await a.core.patchNamespacedSecret(
      { namespace: a.namespace, name, body: { metadata: { labels: { tier: 'web' } } } },
      mergePatch,
    );
    expect(patched.metadata?.labels).toEqual({ tier: 'web' });
    await a.core.deleteNamespacedSecret({ namespace: a.namespace, name });
    expect(await outcome(() => a.core.readNamespacedSecret({ namespace: a.namespace, name }))).toBe(404);
  });

  it('reads ContainerRegistries in its namespace but cannot create, change or delete one (that is admin)', async () => {
    const name = uniqueName('shared');
    const target = { ...CONTAINER_REGISTRY, namespace: a.namespace };
    await adminCustom.createNamespacedCustomObject({
      ...target,
      body: body(CONTAINER_REGISTRY, name, validSpecs.ionos),
    });
    const read = (await a.custom.getNamespacedCustomObject({ ...target, name })) as { spec: unknown };
    expect(read.spec).toMatchObject(validSpecs.ionos);
    const list = (await a.custom.listNamespacedCustomObject(target)) as {
      items: { metadata: { name: string } }[];
    };
    expect(list.items.map((i) => i.metadata.name)).toContain(name);

    const other = uniqueName('own-registry');
    expect(
      await outcome(() =>
        a.custom.createNamespacedCustomObject({
          ...target,
          body: body(CONTAINER_REGISTRY, other, validSpecs.ionos),
        }),
      ),
    ).toBe(403);
    expect(
      await outcome(() =>
        a.custom.patchNamespacedCustomObject(
          { ...target, name, body: { spec: { credentialsRef: { name: 'mine' } } } },
          mergePatch,
        ),
      ),
    ).toBe(403);
    expect(await outcome(() => a.custom.deleteNamespacedCustomObject({ ...target, name }))).toBe(403);
  });

  it.each(KINDS)('reads but cannot write the status of %s', async (_what, kind, spec) => {
    const name = uniqueName('status');
    const target = { ...kind, namespace: a.namespace, name };
    await adminCustom.createNamespacedCustomObject({ ...target, body: body(kind, name, spec) });
    const current = (await a.custom.getNamespacedCustomObjectStatus(target)) as object;
    expect(current).toMatchObject({ metadata: { name } });

    const status = { status: { observedGeneration: 1, conditions: [] } };
    expect(
      await outcome(() =>
        a.custom.patchNamespacedCustomObjectStatus({ ...target, body: status }, mergePatch),
      ),
    ).toBe(403);
    expect(
      await outcome(() =>
        a.custom.replaceNamespacedCustomObjectStatus({ ...target, body: { ...current, ...status } }),
      ),
    ).toBe(403);
  });

  it("can do nothing in another tenant's namespace", async () => {
    const name = uniqueName('theirs');
    await b.custom.createNamespacedCustomObject({
      ...REGISTRY_TOKEN,
      namespace: b.namespace,
      body: body(REGISTRY_TOKEN, name, validSpecs.token),
    });
    await b.core.createNamespacedSecret({ namespace: b.namespace, body: { metadata: { name } } });

    // What the API server says A may do there: nothing but the reviews every authenticated user may
    // create. The same question about A's own namespace lists the berth rights, so the review sees them.
    const everyone = (rule: string) =>
      /^authorization\.k8s\.io\/selfsubject|^authentication\.k8s\.io\//.test(rule);
    expect((await rulesIn(a, b.namespace)).filter((r) => !everyone(r))).toEqual([]);
    expect(await rulesIn(a, a.namespace)).toContainEqual(
      expect.stringMatching(/^berth\.dev\/registrytokens: .*create/),
    );

    // And in practice, for the kinds a tenant works with.
    for (const [, kind, spec] of KINDS) {
      const target = { ...kind, namespace: b.namespace };
      expect(await outcome(() => a.custom.listNamespacedCustomObject(target)), kind.plural).toBe(403);
      expect(await outcome(() => a.custom.getNamespacedCustomObject({ ...target, name })), kind.plural).toBe(
        403,
      );
      expect(
        await outcome(() =>
          a.custom.createNamespacedCustomObject({ ...target, body: body(kind, uniqueName('x'), spec) }),
        ),
        kind.plural,
      ).toBe(403);
    }
    const theirs = { ...REGISTRY_TOKEN, namespace: b.namespace, name };
    expect(
      await outcome(() =>
        a.custom.patchNamespacedCustomObject(
          { ...theirs, body: { metadata: { labels: { x: 'y' } } } },
          mergePatch,
        ),
      ),
    ).toBe(403);
    expect(await outcome(() => a.custom.deleteNamespacedCustomObject(theirs))).toBe(403);
    expect(await outcome(() => a.core.listNamespacedSecret({ namespace: b.namespace }))).toBe(403);
    expect(await outcome(() => a.core.readNamespacedSecret({ namespace: b.namespace, name }))).toBe(403);
    expect(
      await outcome(() =>
        a.core.createNamespacedSecret({
          namespace: b.namespace,
          body: { metadata: { name: uniqueName('x') } },
        }),
      ),
    ).toBe(403);
    expect(await outcome(() => a.core.deleteNamespacedSecret({ namespace: b.namespace, name }))).toBe(403);
    // B's objects are untouched.
    await b.custom.getNamespacedCustomObject(theirs);
    await b.core.readNamespacedSecret({ namespace: b.namespace, name });
  });

  it('can do nothing at cluster scope, not even to its own namespace, and cannot grant itself more', async () => {
    expect(await outcome(() => a.core.listNamespace())).toBe(403);
    expect(
      await outcome(() => a.core.createNamespace({ body: { metadata: { name: uniqueName('mine') } } })),
    ).toBe(403);
    // Registries admit namespaces by label: a tenant that could label its namespace could admit itself.
    expect(
      await outcome(() =>
        a.core.patchNamespace(
          { name: a.namespace, body: { metadata: { labels: { 'berth.dev/team': 'b' } } } },
          mergePatch,
        ),
      ),
    ).toBe(403);
    expect(await outcome(() => a.core.deleteNamespace({ name: a.namespace }))).toBe(403);
    for (const [, kind] of KINDS)
      expect(await outcome(() => a.custom.listClusterCustomObject(kind)), kind.plural).toBe(403);
    expect(
      await outcome(() =>
        a.rbac.createClusterRole({ body: { metadata: { name: uniqueName('mine') }, rules: [] } }),
      ),
    ).toBe(403);
    expect(
      await outcome(() =>
        a.rbac.createNamespacedRoleBinding({
          namespace: a.namespace,
          body: {
            metadata: { name: uniqueName('more') },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
            subjects: [{ kind: 'ServiceAccount', name: a.serviceAccount, namespace: a.namespace }],
          },
        }),
      ),
    ).toBe(403);
  });
});
