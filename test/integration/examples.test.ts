// Every file in examples/ applied as a user would (kubectl apply into one namespace), on the
// simulators instead of the clouds: each must reach what its comment promises, so an example can no
// longer rot (issue 20: two shipped examples did nothing on Quay while the schema tests passed).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CLEANUP_POLICY } from '../../src/controllers/cleanup-policy/controller.ts';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { CONTAINER_REGISTRY } from '../../src/controllers/shared/resources.ts';
import type { RunningSimulators } from '../../src/simulators/all.ts';
import { installBerthCrds } from './berth-crds.ts';
import { canPull, pushImage, secretLogin } from './example-images.ts';
import { adminKubeConfig, createNamespace, eventually, statusOf, uniqueName } from './helpers.ts';
import { type ProviderStack, startProviderStack } from './stack.ts';

const kc: KubeConfig = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const EXAMPLES = join(import.meta.dirname, '../../examples');
const HOUR = 3_600_000;

type Doc = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: unknown };
type Conditioned = {
  metadata: { annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & { conditions?: { type: string; status: string; message?: string }[] };
};

const KINDS = {
  ContainerRegistry: CONTAINER_REGISTRY,
  RegistryToken: REGISTRY_TOKEN,
  CleanupPolicy: CLEANUP_POLICY,
} as const;

async function load(file: string): Promise<Doc[]> {
  const text = await readFile(join(EXAMPLES, file), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJSON() as Doc);
}

/** The example's provider Secrets and registries, pointed at the simulators; nothing else changes. */
function onSimulators(doc: Doc, sims: RunningSimulators): Doc {
  const { ionos, selectel, quay } = sims.endpoints;
  if (doc.kind === 'Secret') {
    const data: Record<string, Record<string, string>> = {
      'ionos-api': { token: ionos.token },
      'quay-api': { token: quay.token },
      'selectel-api': {
        username: selectel.username,
        password: selectel.password,
        accountId: selectel.accountId,
      },
    };
    const stringData = data[doc.metadata.name];
    if (!stringData) throw new Error(`example Secret ${doc.metadata.name} has no simulator credentials`);
    return { ...doc, stringData };
  }
  if (doc.kind !== 'ContainerRegistry') return doc;
  const spec = structuredClone(doc.spec) as Record<string, Record<string, unknown>>;
  if (spec.ionos) spec.ionos.apiEndpoint = ionos.baseUrl;
  if (spec.quay) spec.quay.url = quay.url;
  if (spec.selectel) {
    spec.selectel.projectId = selectel.projectId;
    spec.selectel.apiEndpoint = selectel.apiEndpoint;
    spec.selectel.identityEndpoint = selectel.identityEndpoint;
  }
  return { ...doc, spec };
}

describe('examples/, applied on the simulators', () => {
  let namespace: string;
  let stack: ProviderStack;
  let sims: RunningSimulators;
  const applied = new Set<string>();

  const read = (kind: keyof typeof KINDS, name: string) =>
    custom.getNamespacedCustomObject({ ...KINDS[kind], namespace, name }) as Promise<Conditioned>;
  const ready = (kind: keyof typeof KINDS, name: string, timeoutMs = 90_000) =>
    eventually(
      async () => {
        const obj = await read(kind, name);
        return obj.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && obj;
      },
      { timeoutMs, what: `${kind} ${name} Ready` },
    );
  const apply = async (file: string) => {
    applied.add(file);
    for (const doc of (await load(file)).map((d) => onSimulators(d, sims))) {
      if (doc.kind === 'Secret') await core.createNamespacedSecret({ namespace, body: doc });
      else
        await custom.createNamespacedCustomObject({
          ...KINDS[doc.kind as keyof typeof KINDS],
          namespace,
          body: doc,
        });
    }
  };
  /** Asks a policy for a run now (as `berth cleanup run` does) and waits for the run that answered. */
  const runNow = async (name: string) => {
    // Any new value asks for a run (schedule.ts runRequested): no clock needed.
    const stamp = uniqueName('run');
    await custom.patchNamespacedCustomObject({
      ...CLEANUP_POLICY,
      namespace,
      name,
      body: [{ op: 'add', path: '/metadata/annotations', value: { 'berth.dev/run-requested-at': stamp } }],
    });
    return eventually(
      async () => {
        const p = await read('CleanupPolicy', name);
        return p.status?.lastHandledRunRequestAt === stamp && p.status?.lastRun ? p : undefined;
      },
      { timeoutMs: 60_000, what: `a run of ${name}` },
    );
  };
  /** A token of the test's own (not an example) that pushes an image the examples then pull. */
  const pusher = async (registry: string, scopes: { repository: string; actions: string[] }[]) => {
    const name = uniqueName('pusher');
    await custom.createNamespacedCustomObject({
      ...REGISTRY_TOKEN,
      namespace,
      body: {
        apiVersion: 'berth.dev/v1alpha1',
        kind: 'RegistryToken',
        metadata: { name },
        spec: { registryRef: { name: registry }, scopes },
      },
    });
    return name;
  };

  beforeAll(async () => {
    namespace = await createNamespace(kc, 'examples');
    await installBerthCrds(kc, namespace);
    stack = await startProviderStack(kc, namespace);
    sims = stack.sims;
    // container-registry-quay.yaml takes over an organization that exists (adoptionPolicy: Adopt).
    sims.quay.addOrganization('acme', { email: 'registry-admins@example.com' });
  });
  afterAll(() => stack?.stop());

  it('has a test for every file in examples/', async () => {
    const files = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual([...EXAMPLE_FILES].sort());
  });

  it('makes the three ContainerRegistries Ready', { timeout: 120_000 }, async () => {
    for (const file of REGISTRIES) await apply(file);
    const ionos = await ready('ContainerRegistry', 'shop');
    await ready('ContainerRegistry', 'acme-quay');
    await ready('ContainerRegistry', 'shop-eu');
    // IONOS: weekly garbage collection on the days and at the time the example asks.
    const id = ionos.status?.externalId as string;
    expect(sims.ionos.registry(id).gc).toEqual({ days: ['Sunday', 'Wednesday'], time: '03:00:00+00:00' });
    // Quay: the existing organization was adopted, not created again.
    expect(sims.quay.organization('acme')?.email).toBe('registry-admins@example.com');
  });

  it('IONOS: the push token pushes, the pull token and its distributed copies pull', {
    timeout: 120_000,
  }, async () => {
    // The namespaces the example names, consenting as its comment shows (for this run's namespace).
    for (const target of TARGETS) {
      const metadata = {
        name: target,
        labels: { team: 'shop' },
        annotations: {
          'berth.dev/accept-copies-from': `${namespace}/shop-pull-everywhere`,
          'berth.dev/accept-service-accounts': 'default,deployer',
        },
      };
      await core.createNamespace({ body: { metadata } }).catch(async (err: unknown) => {
        if (statusOf(err) !== 409) throw err;
        await core.replaceNamespace({ name: target, body: { metadata } });
      });
      for (const sa of ['default', 'deployer'])
        await core
          .createNamespacedServiceAccount({ namespace: target, body: { metadata: { name: sa } } })
          .catch((err: unknown) => {
            if (statusOf(err) !== 409) throw err;
          });
    }
    await apply('registry-token-push.yaml');
    await ready('RegistryToken', 'shop-ci-push');
    const server = (await read('ContainerRegistry', 'shop')).status?.server as string;
    const image = `${server}/shop/api:v1`;
    await pushImage(await secretLogin(core, namespace, 'shop-ci-push'), image);

    await apply('registry-token-pull.yaml');
    const pull = await ready('RegistryToken', 'shop-pull');
    expect(pull.status?.secretName).toBe('shop-pull');
    const secret = await core.readNamespacedSecret({ namespace, name: 'shop-pull' });
    expect(secret.metadata?.labels?.team).toBe('shop');
    expect(secret.metadata?.annotations?.['example.com/owner']).toBe('shop-team');
    expect(await canPull(await secretLogin(core, namespace, 'shop-pull'), image)).toBe(true);

    await apply('registry-token-distributed.yaml');
    await ready('RegistryToken', 'shop-pull-everywhere');
    for (const target of TARGETS) {
      const copy = await eventually(
        () => secretLogin(core, target, 'shop-registry-pull').catch(() => undefined),
        {
          what: `copy in ${target}`,
        },
      );
      expect(await canPull(copy, image)).toBe(true);
      const sa = await eventually(
        async () => {
          const found = await core.readNamespacedServiceAccount({ namespace: target, name: 'default' });
          return found.imagePullSecrets?.some((s) => s.name === 'shop-registry-pull') && found;
        },
        { what: `default ServiceAccount in ${target}` },
      );
      expect(sa.imagePullSecrets?.map((s) => s.name)).toContain('shop-registry-pull');
    }
  });

  it('Quay: the rotating robot pulls acme/backend, granted within seconds of its push token creating it', {
    timeout: 120_000,
  }, async () => {
    // Applied together: the pull token comes first and finds no repository yet (not Ready,
    // NoAccess), then the push token creates them and the pull token is granted on its next look.
    await apply('registry-token-quay-rotate.yaml');
    await eventually(
      async () => {
        const ready = (await read('RegistryToken', 'acme-deploy')).status?.conditions?.find(
          (c) => c.type === 'Ready',
        );
        return ready?.status === 'False' && (ready as { reason?: string }).reason === 'NoAccess';
      },
      { what: 'acme-deploy not Ready, NoAccess, while neither repository exists' },
    );
    const push = await pusher('acme-quay', [
      { repository: 'backend', actions: ['pull', 'push'] },
      { repository: 'frontend', actions: ['pull', 'push'] },
    ]);
    await ready('RegistryToken', push);
    const server = (await read('ContainerRegistry', 'acme-quay')).status?.server as string;
    const image = `${server}/acme/backend:v1`;
    await pushImage(await secretLogin(core, namespace, push), image);
    const token = await ready('RegistryToken', 'acme-deploy', 60_000);
    expect(token.status?.scopeProblems).toBeUndefined();
    expect(await canPull(await secretLogin(core, namespace, 'acme-pull'), image)).toBe(true);
  });

  it('Selectel: the extended token pulls', { timeout: 120_000 }, async () => {
    const push = await pusher('shop-eu', [{ repository: '*', actions: ['pull', 'push'] }]);
    await ready('RegistryToken', push);
    const server = (await read('ContainerRegistry', 'shop-eu')).status?.server as string;
    const image = `${server}/shop-eu/app:v1`;
    await pushImage(await secretLogin(core, namespace, push), image);
    await apply('registry-token-selectel-extend.yaml');
    const token = await ready('RegistryToken', 'shop-eu-pull');
    expect(token.spec?.renewal).toBe('Extend');
    expect(await canPull(await secretLogin(core, namespace, 'shop-eu-pull'), image)).toBe(true);
  });

  it('the dry-run policy reports what it would delete and deletes nothing', {
    timeout: 120_000,
  }, async () => {
    const registryId = (await read('ContainerRegistry', 'shop-eu')).status?.externalId as string;
    // Ages relative to the operator's clock: it runs in this process (stack.ts), so Date.now() is
    // the clock its rules read, shifted or not. The example's own schedule (03:00 Berlin) only ever
    // makes another dry run, which reports the same items.
    const now = Date.now();
    const image = (repository: string, tags: string[], ageHours: number) =>
      sims.selectel.addImage(registryId, repository, {
        tags,
        pushedAt: new Date(now - ageHours * HOUR),
        size: 1,
      });
    // shop/app: 12 builds, 1000 h old and older; keepLast 10 keeps the newest ten.
    for (let i = 0; i < 12; i++) image('shop/app', [`build-${i}`], 1000 + (12 - i) * 24);
    image('shop/app', ['latest'], 5000); // keepTags
    image('shop/app', ['v1.0.0'], 5000); // keepTags
    image('shop/app', [], 2000); // untagged and old: Delete
    image('shop/base', ['old'], 5000); // excluded repository
    await apply('cleanup-policy-dry-run.yaml');
    await ready('CleanupPolicy', 'shop-retention-preview');
    const policy = await runNow('shop-retention-preview');
    const items = (policy.status?.lastRunItems ?? []) as {
      repository: string;
      tag?: string;
      tags?: string[];
      action: string;
    }[];
    const would = items.filter((i) => i.action === 'WouldDelete');
    // Each row names every tag that goes (issue 20 item 3); the untagged manifest none.
    const named = would.map((i) => `${i.repository}:${(i.tag ? [i.tag] : (i.tags ?? [])).join(',')}`);
    expect(named.sort()).toEqual(['shop/app:', 'shop/app:build-0', 'shop/app:build-1'].sort());
    expect(items.some((i) => i.repository === 'shop/base')).toBe(false);
    // In a dry run lastRun.deleted counts what would go; the simulator shows what did.
    expect(policy.status?.lastRun).toMatchObject({ dryRun: true, deleted: 3, failed: 0 });
    // Nothing went: every image is still listed.
    const repo = sims.selectel.registry(registryId)?.repositories.get('shop/app');
    expect(repo?.images).toHaveLength(15);
  });

  it('the IONOS policy deletes feature-branch tags older than two weeks and keeps the rest', {
    timeout: 120_000,
  }, async () => {
    const registry = await read('ContainerRegistry', 'shop');
    const server = registry.status?.server as string;
    const login = await secretLogin(core, namespace, 'shop-ci-push');
    const registryId = registry.status?.externalId as string;
    const pushed: Record<string, string> = {};
    for (const tag of ['feature-old', 'feature-new', 'main-old']) {
      pushed[tag] = await pushImage(login, `${server}/shop/web:${tag}`, tag);
    }
    // Hours before the operator's clock (in this process, as above); far from the rule's 336 h.
    const ages: Record<string, number> = { 'feature-old': 400, 'feature-new': 48, 'main-old': 400 };
    for (const [tag, digest] of Object.entries(pushed))
      sims.ionos.pushArtifact(registryId, 'shop/web', {
        digest,
        tags: [tag],
        pushedAt: new Date(Date.now() - (ages[tag] ?? 0) * HOUR),
      });
    await apply('cleanup-policy-ionos-gc.yaml');
    await ready('CleanupPolicy', 'shop-feature-branches');
    const policy = await runNow('shop-feature-branches');
    // (Whatever the hour: had the schedule's own run come first, the requested one finds less.)
    expect(policy.status?.lastRun).toMatchObject({ dryRun: false, failed: 0 });
    expect(await canPull(login, `${server}/shop/web:feature-old`)).toBe(false);
    expect(await canPull(login, `${server}/shop/web:feature-new`)).toBe(true);
    expect(await canPull(login, `${server}/shop/web:main-old`)).toBe(true);
  });

  it('the Quay Native policy puts an organization-wide auto-prune policy in place', {
    timeout: 120_000,
  }, async () => {
    await apply('cleanup-policy-quay-native.yaml');
    const policy = await ready('CleanupPolicy', 'acme-autoprune');
    const native = policy.status?.nativePolicies as { repository?: string }[] | undefined;
    expect(native).toHaveLength(1);
    const policies = [...(sims.quay.organization('acme')?.policies.values() ?? [])];
    expect(policies).toHaveLength(1);
    expect(policies[0]).toMatchObject({ method: 'number_of_tags', value: 20, tagPatternMatches: false });
  });

  it('applied every example', () => {
    expect([...applied].sort()).toEqual([...EXAMPLE_FILES].sort());
  });
});

/** The namespaces registry-token-distributed.yaml copies into by name. */
const TARGETS = ['shop-staging', 'shop-production'];

const REGISTRIES = [
  'container-registry-ionos.yaml',
  'container-registry-quay.yaml',
  'container-registry-selectel.yaml',
];

/** Every example and the test above that applies it. */
const EXAMPLE_FILES = [
  ...REGISTRIES,
  'registry-token-push.yaml',
  'registry-token-pull.yaml',
  'registry-token-distributed.yaml',
  'registry-token-quay-rotate.yaml',
  'registry-token-selectel-extend.yaml',
  'cleanup-policy-dry-run.yaml',
  'cleanup-policy-ionos-gc.yaml',
  'cleanup-policy-quay-native.yaml',
];
