import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerLogin } from '../../src/clients/provider.ts';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { credentialPrefix } from '../../src/controllers/registry-token/names.ts';
import { crane } from '../../src/dev/registry.ts';
import { installBerthCrds } from './berth-crds.ts';
import { adminKubeConfig, createNamespace, eventually } from './helpers.ts';
import { createProviderRegistries, PROVIDERS, type ProviderRegistry } from './provider-registries.ts';
import { type ProviderStack, startProviderStack } from './stack.ts';
import { type TestToken, tokenReader } from './tokens.ts';

const execFileAsync = promisify(execFile);
const kc = adminKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The shortest observeInterval the CRD allows: how often a token looks at its credential here. */
const POLL = '30s';
const POLL_MS = 30_000;

// Things that happen at the provider or in the spec after a credential was issued: berth notices
// them within one poll of the registry's observeInterval (issue #12, items 3, 4 and 11).
describe('RegistryToken follows the provider and the spec after issue', () => {
  let namespace: string;
  let stack: ProviderStack;
  let registries: Record<(typeof PROVIDERS)[number], ProviderRegistry>;
  let work: string;

  const tokens = tokenReader(kc, () => namespace);
  const readToken = tokens.read;
  const readyToken = tokens.ready;
  const createToken = (name: string, provider: string, scopes: { repository: string; actions: string[] }[]) =>
    custom.createNamespacedCustomObject({
      ...REGISTRY_TOKEN,
      namespace,
      body: {
        apiVersion: 'berth.dev/v1alpha1',
        kind: 'RegistryToken',
        metadata: { name },
        spec: { registryRef: { name: `reg-${provider}` }, scopes, gracePeriod: '2s' },
      },
    });
  const loginIn = tokens.login;
  /** Pushes a one-layer image with `login` and returns a function that pulls it (digest) with another login. */
  const push = async (login: DockerLogin, image: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-drift-push-'));
    await crane(['auth', 'login', login.server, '-u', login.username, '-p', login.password], dir);
    await crane(['append', '-f', join(work, 'layer.tar'), '-t', image], dir);
  };
  const pulls = async (login: DockerLogin, image: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-drift-pull-'));
    await crane(['auth', 'login', login.server, '-u', login.username, '-p', login.password], dir);
    return crane(['digest', image], dir).then(
      () => true,
      () => false,
    );
  };

  beforeAll(async () => {
    namespace = await createNamespace(kc, 'drift');
    await installBerthCrds(kc, namespace);
    stack = await startProviderStack(kc, namespace);
    registries = await createProviderRegistries(kc, namespace, stack.sims.endpoints, {
      observeInterval: POLL,
    });
    work = await mkdtemp(join(tmpdir(), 'berth-drift-'));
    await writeFile(join(work, 'f.txt'), 'drift\n');
    await execFileAsync('tar', ['-cf', join(work, 'layer.tar'), '-C', work, 'f.txt']);
  });
  afterAll(() => stack?.stop());

  /** Deletes a credential through the provider's own API, as someone with the API credentials would. */
  async function deleteAtProvider(provider: (typeof PROVIDERS)[number], id: string): Promise<void> {
    const { sims } = stack;
    if (provider === 'ionos') {
      const registry = sims.ionos.registryByName('reg-ionos');
      const res = await fetch(`${sims.endpoints.ionos.baseUrl}/registries/${registry?.id}/tokens/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${sims.endpoints.ionos.token}` },
      });
      expect(res.status).toBeLessThan(300);
    } else if (provider === 'selectel') {
      const auth = sims.selectel.issueIamToken(sims.endpoints.selectel.projectId);
      const res = await fetch(`${sims.endpoints.selectel.apiEndpoint}/v2/tokens/${id}`, {
        method: 'DELETE',
        headers: { 'x-auth-token': auth },
      });
      expect(res.status).toBeLessThan(300);
    } else {
      const short = id.split('+')[1];
      const res = await fetch(`${sims.endpoints.quay.url}/api/v1/organization/acme/robots/${short}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${sims.endpoints.quay.token}` },
      });
      expect(res.status).toBeLessThan(300);
    }
  }

  describe.concurrent.each(PROVIDERS)('%s', (provider) => {
    it('replaces a credential deleted at the provider behind berth’s back within one poll, and the Secret pulls again', {
      timeout: 200_000,
    }, async () => {
      const { repository, scope } = registries[provider];
      const name = `gone-${provider}`;
      await createToken(name, provider, [{ repository: scope, actions: ['pull', 'push'] }]);
      const first = await readyToken(name);
      const image = `${stack.registry.host}/${repository}:drift`;
      await push(await loginIn(name), image);
      await deleteAtProvider(provider, first.status?.credentialId ?? '');
      const deletedAt = Date.now();
      expect(await pulls(await loginIn(name), image)).toBe(false);
      const replaced = await readyToken(
        name,
        (t) => t.status?.credentialId !== first.status?.credentialId,
        POLL_MS * 2 + 30_000,
      );
      const tookMs = Date.now() - deletedAt;
      console.warn(`[drift] ${provider}: credential deleted at the provider replaced after ${tookMs} ms`);
      expect(tookMs).toBeLessThan(POLL_MS * 1.1 + 15_000); // one poll (jittered up to 10 %) and a reconcile
      expect(replaced.status?.lastRotationReason).toBe('CredentialGone');
      expect(await pulls(await loginIn(name), image)).toBe(true);
    });

    it('applies a scope edit: in place where the provider can, by a rotation it names where it cannot', {
      timeout: 200_000,
    }, async () => {
      const { repository, scope } = registries[provider];
      const name = `scopes-${provider}`;
      await createToken(name, provider, [{ repository: scope, actions: ['pull'] }]);
      const before = await readyToken(name);
      const image = `${stack.registry.host}/${repository}:scopes`;
      const dir = await mkdtemp(join(tmpdir(), 'berth-scopes-'));
      const login = await loginIn(name);
      await crane(['auth', 'login', login.server, '-u', login.username, '-p', login.password], dir);
      await expect(crane(['append', '-f', join(work, 'layer.tar'), '-t', image], dir)).rejects.toThrow();
      await custom.patchNamespacedCustomObject(
        {
          ...REGISTRY_TOKEN,
          namespace,
          name,
          body: { spec: { scopes: [{ repository: scope, actions: ['pull', 'push'] }] } },
        },
        mergePatch,
      );
      const after = await readyToken(name, (t) => t.metadata.generation > before.metadata.generation);
      if (IN_PLACE[provider]) {
        expect(after.status?.credentialId).toBe(before.status?.credentialId);
      } else {
        expect(after.status?.credentialId).not.toBe(before.status?.credentialId);
        expect(after.status?.lastRotationReason).toBe(
          `ScopesChanged: ${provider} cannot change a credential's scopes in place`,
        );
      }
      await push(await loginIn(name), image);
    });
  });

  it('stalls on a Secret it does not own before it issues anything at the provider', async () => {
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'taken' }, stringData: { note: 'someone else’s' } },
    });
    await createToken('taken', 'ionos', [{ repository: 'shop/*', actions: ['pull'] }]);
    const stalled = await eventually(
      async () => {
        const t = await readToken('taken');
        return t.status?.conditions?.some((c) => c.type === 'Stalled' && c.status === 'True') && t;
      },
      { what: 'taken Stalled' },
    );
    expect(stalled.status?.conditions?.find((c) => c.type === 'Stalled')?.message).toContain(
      'Secret taken exists',
    );
    const uid = ((await readToken('taken')) as TestToken & { metadata: { uid: string } }).metadata.uid;
    const prefix = credentialPrefix(uid);
    const tokens = [...(stack.sims.ionos.registryByName('reg-ionos')?.tokens.values() ?? [])];
    expect(tokens.filter((t) => t.name.startsWith(prefix))).toEqual([]);
  });

  it('grants a Quay repository created after the token within one poll, proven by a pull', {
    timeout: 200_000,
  }, async () => {
    await createToken('later-quay', 'quay', [{ repository: '*', actions: ['pull'] }]);
    await readyToken('later-quay');
    // Another token with push on an exact repository that does not exist yet: berth creates it.
    await createToken('pusher-quay', 'quay', [{ repository: 'fresh', actions: ['pull', 'push'] }]);
    await readyToken('pusher-quay');
    const image = `${stack.registry.host}/acme/fresh:new`;
    await push(await loginIn('pusher-quay'), image);
    const createdAt = Date.now();
    const reader = await loginIn('later-quay');
    expect(await pulls(reader, image)).toBe(false);
    await eventually(() => pulls(reader, image), {
      timeoutMs: POLL_MS * 2 + 30_000,
      intervalMs: 1_000,
      what: 'the older token to pull from the new repository',
    });
    const tookMs = Date.now() - createdAt;
    console.warn(`[drift] quay: a new repository became pullable with an older '*' token after ${tookMs} ms`);
    expect(tookMs).toBeLessThan(POLL_MS * 1.1 + 15_000);
  });
});

/** Providers that change a credential's scopes in place (Tokens.updateScopes); the others rotate. */
const IN_PLACE: Record<(typeof PROVIDERS)[number], boolean> = { ionos: true, selectel: false, quay: true };
