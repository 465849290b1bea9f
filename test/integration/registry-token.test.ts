import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { loginFrom } from '../../src/controllers/registry-token/docker-config.ts';
import { crane, type RunningRegistry } from '../../src/dev/registry.ts';
import type { RunningOperator } from '../../src/operator.ts';
import type { RunningSimulators } from '../../src/simulators/all.ts';
import { kstatusViolations } from '../support/kstatus.ts';
import { installBerthCrds } from './berth-crds.ts';
import { adminKubeConfig, createNamespace, eventually } from './helpers.ts';
import {
  createContainerRegistry,
  createProviderRegistries,
  PROVIDERS,
  type ProviderRegistry,
} from './provider-registries.ts';
import { type ProviderStack, startProviderStack } from './stack.ts';

const execFileAsync = promisify(execFile);
const kc = adminKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

type Token = {
  metadata: { name: string; generation: number };
  status?: Record<string, unknown> & {
    observedGeneration?: number;
    credentialId?: string;
    credentialName?: string;
    expiresAt?: string;
    renewAt?: string;
    pendingRevocations?: { credentialId: string }[];
    conditions?: {
      type: string;
      status: string;
      reason: string;
      message: string;
      lastTransitionTime: string;
    }[];
  };
};

describe('RegistryToken on the real control plane, with the simulators and a real registry', () => {
  let namespace: string;
  let sims: RunningSimulators;
  let registry: RunningRegistry;
  let operator: RunningOperator;
  let work: string;
  const issuedSecrets: string[] = [];

  let registries: Record<(typeof PROVIDERS)[number], ProviderRegistry>;
  const registryName = (provider: string) => `reg-${provider}`;

  const readToken = (name: string) =>
    custom.getNamespacedCustomObject({ ...REGISTRY_TOKEN, namespace, name }) as Promise<Token>;
  const createToken = (name: string, spec: Record<string, unknown>) =>
    custom.createNamespacedCustomObject({
      ...REGISTRY_TOKEN,
      namespace,
      body: { apiVersion: 'berth.dev/v1alpha1', kind: 'RegistryToken', metadata: { name }, spec },
    });
  const readyToken = (name: string, pred: (t: Token) => boolean = () => true) =>
    eventually(
      async () => {
        const t = await readToken(name);
        const ready = t.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        return ready && t.status?.observedGeneration === t.metadata.generation && pred(t) ? t : undefined;
      },
      { timeoutMs: 90_000, what: `${name} Ready` },
    );
  const secretLogin = async (name: string) => {
    const secret = await core.readNamespacedSecret({ namespace, name });
    const login = loginFrom(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8'));
    if (!login) throw new Error(`Secret ${name} holds no docker login`);
    issuedSecrets.push(login.password);
    return { secret, login };
  };
  const pullWith = async (name: string, image: string) => {
    const { login } = await secretLogin(name);
    const dir = await mkdtemp(join(tmpdir(), 'berth-docker-'));
    await crane(['auth', 'login', login.server, '-u', login.username, '-p', login.password], dir);
    return (args: string[]) => crane([...args, image], dir);
  };

  let stack: ProviderStack;
  beforeAll(async () => {
    namespace = await createNamespace(kc, 'rtok');
    await installBerthCrds(kc, namespace);
    stack = await startProviderStack(kc, namespace);
    ({ sims, registry, operator } = stack);
    work = await mkdtemp(join(tmpdir(), 'berth-rtok-'));
    await writeFile(join(work, 'f.txt'), 'hello\n');
    await execFileAsync('tar', ['-cf', join(work, 'layer.tar'), '-C', work, 'f.txt']);
    registries = await createProviderRegistries(kc, namespace, sims.endpoints);
  });
  afterAll(() => stack?.stop());

  describe.concurrent.each(PROVIDERS)('%s', (provider) => {
    const make = () => registries[provider];

    it('writes a dockerconfigjson Secret whose credentials push and pull on the real registry', {
      timeout: 200_000,
    }, async () => {
      const { repository, scope } = make();
      const name = `push-${provider}`;
      await createToken(name, {
        registryRef: { name: registryName(provider) },
        scopes: [{ repository: scope, actions: ['pull', 'push'] }],
        lifetime: '24h',
      });
      const token = await readyToken(name);
      expect(kstatusViolations(token)).toEqual([]);
      expect(token.status?.credentialId).toBeTruthy();
      if (provider !== 'quay') expect(token.status?.expiresAt).toBeTruthy();
      const { secret, login } = await secretLogin(name);
      expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
      expect(secret.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('berth');
      expect(secret.metadata?.ownerReferences?.[0]?.kind).toBe('RegistryToken');
      expect(login.server).toBe(registry.host);
      const image = `${registry.host}/${repository}:v1`;
      const push = await pullWith(name, image);
      const dir = await mkdtemp(join(tmpdir(), 'berth-push-'));
      await crane(['auth', 'login', login.server, '-u', login.username, '-p', login.password], dir);
      await crane(['append', '-f', join(work, 'layer.tar'), '-t', image], dir);
      expect(await push(['digest'])).toMatch(/^sha256:/);
      // Expiry and rotations are metrics; nothing secret is in status, events or metrics.
      const metrics = await fetch(`http://${operator.health.address}/metrics`).then((r) => r.text());
      expect(metrics).toContain(
        `berth_registry_token_rotations_total{provider="${provider}",result="issued"}`,
      );
      if (provider !== 'quay') {
        const expiry = Math.floor(Date.parse(token.status?.expiresAt ?? '') / 1000);
        expect(metrics).toContain(
          `berth_registry_token_expiry_timestamp_seconds{namespace="${namespace}",name="${name}"} ${expiry}`,
        );
        const renew = Math.floor(Date.parse(token.status?.renewAt ?? '') / 1000);
        expect(metrics).toContain(
          `berth_registry_token_renewal_timestamp_seconds{namespace="${namespace}",name="${name}"} ${renew}`,
        );
      }
      const events = (await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace })).items;
      const visible = JSON.stringify(token.status) + JSON.stringify(events.map((e) => e.note)) + metrics;
      expect(visible).not.toContain(login.password);
    });

    it('repairs a deleted and an edited Secret by rotating, and revokes the replaced credential', {
      timeout: 200_000,
    }, async () => {
      const { repository, scope } = make();
      const name = `repair-${provider}`;
      await createToken(name, {
        registryRef: { name: registryName(provider) },
        scopes: [{ repository: scope, actions: ['pull', 'push'] }],
        gracePeriod: '2s',
      });
      const first = await readyToken(name);
      await core.deleteNamespacedSecret({ namespace, name });
      const second = await readyToken(name, (t) => t.status?.credentialId !== first.status?.credentialId);
      await secretLogin(name);
      await core.patchNamespacedSecret(
        { namespace, name, body: { stringData: { '.dockerconfigjson': '{"auths":{}}' } } },
        mergePatch,
      );
      const third = await readyToken(
        name,
        (t) => t.status?.credentialId !== second.status?.credentialId && !t.status?.pendingRevocations,
      );
      expect(third.status?.credentialId).not.toBe(first.status?.credentialId);
      // The repaired Secret works; the replaced credentials no longer do.
      const image = `${registry.host}/${repository}:repair`;
      const { login } = await secretLogin(name);
      const dir = await mkdtemp(join(tmpdir(), 'berth-repair-'));
      await crane(['auth', 'login', login.server, '-u', login.username, '-p', login.password], dir);
      await crane(['append', '-f', join(work, 'layer.tar'), '-t', image], dir);
      expect(await crane(['digest', image], dir)).toMatch(/^sha256:/);
    });

    it('rotates once per new value of berth.dev/rotate-requested-at', { timeout: 200_000 }, async () => {
      const { scope } = make();
      const name = `manual-${provider}`;
      await createToken(name, {
        registryRef: { name: registryName(provider) },
        scopes: [{ repository: scope, actions: ['pull'] }],
        gracePeriod: '2s',
      });
      const before = await readyToken(name);
      await custom.patchNamespacedCustomObject(
        {
          ...REGISTRY_TOKEN,
          namespace,
          name,
          body: { metadata: { annotations: { 'berth.dev/rotate-requested-at': 'r1' } } },
        },
        mergePatch,
      );
      const after = await readyToken(name, (t) => t.status?.credentialId !== before.status?.credentialId);
      expect(after.status?.credentialName).not.toBe(before.status?.credentialName);
      await new Promise((r) => setTimeout(r, 3_000));
      expect((await readToken(name)).status?.credentialId).toBe(after.status?.credentialId);
    });

    it('revokes its credentials and loses its Secret when deleted', { timeout: 200_000 }, async () => {
      const { scope } = make();
      const name = `gone-${provider}`;
      await createToken(name, {
        registryRef: { name: registryName(provider) },
        scopes: [{ repository: scope, actions: ['pull'] }],
      });
      await readyToken(name);
      const { login } = await secretLogin(name);
      const access = sims[provider].registryAccess;
      expect(access.verify(login.username, login.password)).toBeDefined();
      await custom.deleteNamespacedCustomObject({ ...REGISTRY_TOKEN, namespace, name });
      await eventually(
        () =>
          readToken(name).then(
            () => false,
            (err: unknown) => (err as { code?: number }).code === 404,
          ),
        { what: `${name} deleted` },
      );
      await eventually(
        () =>
          core.readNamespacedSecret({ namespace, name }).then(
            () => false,
            (err: unknown) => (err as { code?: number }).code === 404,
          ),
        { what: 'Secret deleted' },
      );
      expect(access.verify(login.username, login.password)).toBeUndefined();
      // A normal deletion is no alarm: Revoked, Normal, and no Warning (issue 19, item 5).
      const about = await eventually(
        async () => {
          const events = (
            await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace })
          ).items.filter((e) => e.regarding?.kind === 'RegistryToken' && e.regarding.name === name);
          return events.some((e) => e.reason === 'Revoked') ? events : undefined;
        },
        { what: `a Revoked event for ${name}` },
      );
      expect(about.filter((e) => e.type === 'Warning').map((e) => `${e.reason}: ${e.note}`)).toEqual([]);
      // Its series go too, or the expiry alerts would fire for a token that no longer exists.
      const metrics = await fetch(`http://${operator.health.address}/metrics`).then((r) => r.text());
      expect(metrics).not.toContain(`name="${name}"`);
    });
  });

  it('copies the Secret to selected namespaces, attaches it to ServiceAccounts, follows new and leaving namespaces', {
    timeout: 120_000,
  }, async () => {
    const label = `berth-test-${namespace}`;
    // The targets consent to copies from this namespace, on `default` (ADR 015).
    const consent = {
      'berth.dev/accept-copies-from': namespace,
      'berth.dev/accept-service-accounts': 'default',
    };
    const targets = await Promise.all(
      Array.from({ length: 3 }, async (_, i) => {
        const ns = `${namespace}-t${i}`;
        await core.createNamespace({
          body: { metadata: { name: ns, labels: { [label]: 'yes' }, annotations: consent } },
        });
        return ns;
      }),
    );
    // A ServiceAccount that already pulls with something else keeps it.
    await eventually(
      () => core.readNamespacedServiceAccount({ namespace: targets[0] as string, name: 'default' }),
      {
        what: 'default ServiceAccount',
      },
    );
    await core.patchNamespacedServiceAccount(
      {
        namespace: targets[0] as string,
        name: 'default',
        body: { imagePullSecrets: [{ name: 'existing-pull' }] },
      },
      mergePatch,
    );
    await createContainerRegistry(custom, namespace, 'reg-shared', {
      ...registries.ionos.spec,
      allowedNamespaces: { from: 'All' },
    });
    const name = 'fanout';
    await createToken(name, {
      registryRef: { name: 'reg-shared' },
      scopes: [{ repository: 'shop/*', actions: ['pull'] }],
      distribute: { namespaceSelector: { matchLabels: { [label]: 'yes' } }, serviceAccounts: ['default'] },
    });
    const served = (t: Token) => (t.status?.namespacesServed as string[] | undefined) ?? [];
    await readyToken(name, (t) => served(t).length === 3);
    for (const ns of targets) {
      const copy = await core.readNamespacedSecret({ namespace: ns, name });
      expect(copy.type).toBe('kubernetes.io/dockerconfigjson');
    }
    const sa = await core.readNamespacedServiceAccount({ namespace: targets[0] as string, name: 'default' });
    expect(sa.imagePullSecrets?.map((s) => s.name)).toEqual(['existing-pull', name]);

    // A new matching namespace is served within seconds (namespace watch), a leaving one loses its copy.
    const late = `${namespace}-late`;
    await core.createNamespace({
      body: { metadata: { name: late, labels: { [label]: 'yes' }, annotations: consent } },
    });
    await eventually(() => core.readNamespacedSecret({ namespace: late, name }), {
      timeoutMs: 20_000,
      what: 'copy in new namespace',
    });
    await core.patchNamespace(
      { name: targets[1] as string, body: { metadata: { labels: { [label]: null } } } },
      mergePatch,
    );
    await eventually(
      () =>
        core.readNamespacedSecret({ namespace: targets[1] as string, name }).then(
          () => false,
          (err: unknown) => (err as { code?: number }).code === 404,
        ),
      { timeoutMs: 20_000, what: 'copy removed from leaving namespace' },
    );
  });

  describe.concurrent.each(['ionos', 'selectel'] as const)('%s with renewal: Extend', (provider) => {
    // IONOS refuses an expiry less than an hour ahead, so it grants berth's floor (the hour plus a
    // one-minute margin) for lifetime 1h: the first extension comes about a minute after issue.
    it('keeps the same secret and moves expiresAt', { timeout: 150_000 }, async () => {
      const { scope } = registries[provider];
      const name = `extend-${provider}`;
      await createToken(name, {
        registryRef: { name: registryName(provider) },
        scopes: [{ repository: scope, actions: ['pull'] }],
        renewal: 'Extend',
        lifetime: '1h',
        renewBefore: '59m58s',
        gracePeriod: '1s',
      });
      const first = await readyToken(name);
      const before = (await secretLogin(name)).login.password;
      const later = await readyToken(
        name,
        (t) => (t.status?.expiresAt ?? '') > (first.status?.expiresAt ?? ''),
      );
      expect(later.status?.credentialId).toBe(first.status?.credentialId);
      expect((await secretLogin(name)).login.password).toBe(before);
    });
  });
});
