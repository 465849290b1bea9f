import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { credentialPrefix } from '../../src/controllers/registry-token/names.ts';
import { crane } from '../../src/dev/registry.ts';
import type { RunningSimulators } from '../../src/simulators/all.ts';
import { type LaggingApiServer, startLaggingApiServer } from '../support/lagging-apiserver.ts';
import { installBerthCrds } from './berth-crds.ts';
import { adminKubeConfig, createNamespace } from './helpers.ts';
import { createProviderRegistries, PROVIDERS, type ProviderRegistry } from './provider-registries.ts';
import { type ProviderStack, startProviderStack } from './stack.ts';
import { tokenReader } from './tokens.ts';

const execFileAsync = promisify(execFile);
const kc = adminKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Late enough that the event of our own status write arrives after the next reconcile started. */
const WATCH_DELAY_MS = 500;

/** Names of the credentials the simulator holds for one RegistryToken (its UID is in their names). */
function liveCredentials(sims: RunningSimulators, provider: string, uid: string): string[] {
  const prefix = credentialPrefix(uid);
  const names =
    provider === 'ionos'
      ? [...(sims.ionos.registryByName('reg-ionos')?.tokens.values() ?? [])].map((t) => t.name)
      : provider === 'selectel'
        ? sims.selectel.tokens().map((t) => t.name)
        : [...(sims.quay.organization('acme')?.robots.keys() ?? [])];
  return names.filter((n) => n.startsWith(prefix)).sort();
}

// The watch events of the operator run half a second late, as behind a loaded API server: the
// event of a Secret it just wrote then wakes the next reconcile before the event of the status it
// wrote right after. That reconcile must not act on its own old status (issue #10).
describe(`RegistryToken with its informers ${WATCH_DELAY_MS} ms behind the API server`, () => {
  let namespace: string;
  let lagging: LaggingApiServer;
  let stack: ProviderStack;
  let registries: Record<(typeof PROVIDERS)[number], ProviderRegistry>;
  let work: string;

  const tokens = tokenReader(kc, () => namespace);
  const readyToken = tokens.ready;
  const loginIn = tokens.login;

  beforeAll(async () => {
    namespace = await createNamespace(kc, 'lag');
    await installBerthCrds(kc, namespace);
    lagging = await startLaggingApiServer(kc, WATCH_DELAY_MS);
    stack = await startProviderStack(kc, namespace, { operatorKubeConfig: lagging.kubeConfig });
    registries = await createProviderRegistries(kc, namespace, stack.sims.endpoints);
    work = await mkdtemp(join(tmpdir(), 'berth-lag-'));
    await writeFile(join(work, 'f.txt'), 'lagging\n');
    await execFileAsync('tar', ['-cf', join(work, 'layer.tar'), '-C', work, 'f.txt']);
  });
  afterAll(async () => {
    await stack?.stop();
    await lagging?.stop();
  });

  describe.concurrent.each(PROVIDERS)('%s', (provider) => {
    it('repairs a deleted, then an edited Secret, and ends with exactly one live credential, which works', {
      timeout: 200_000,
    }, async () => {
      const { repository, scope } = registries[provider];
      const name = `lag-${provider}`;
      await custom.createNamespacedCustomObject({
        ...REGISTRY_TOKEN,
        namespace,
        body: {
          apiVersion: 'berth.dev/v1alpha1',
          kind: 'RegistryToken',
          metadata: { name },
          spec: {
            registryRef: { name: `reg-${provider}` },
            scopes: [{ repository: scope, actions: ['pull', 'push'] }],
            gracePeriod: '2s',
          },
        },
      });
      const first = await readyToken(name, () => true);
      const seen = [await loginIn(name)];
      await core.deleteNamespacedSecret({ namespace, name });
      const second = await readyToken(name, (t) => t.status?.credentialId !== first.status?.credentialId);
      seen.push(await loginIn(name));
      await core.patchNamespacedSecret(
        { namespace, name, body: { stringData: { '.dockerconfigjson': '{"auths":{}}' } } },
        mergePatch,
      );
      await readyToken(
        name,
        (t) => t.status?.credentialId !== second.status?.credentialId && !t.status?.pendingRevocations,
      );
      const last = await loginIn(name);

      // Exactly one credential is left at the provider, and it is the one in the Secret.
      const live = liveCredentials(stack.sims, provider, first.metadata.uid);
      expect(live).toHaveLength(1);
      const access = stack.sims[provider].registryAccess;
      expect(access.verify(last.username, last.password)).toBeDefined();
      for (const old of seen) expect(access.verify(old.username, old.password)).toBeUndefined();
      // ...and it really pushes and pulls on the registry.
      const dir = await mkdtemp(join(tmpdir(), 'berth-lag-docker-'));
      const image = `${stack.registry.host}/${repository}:lagging`;
      await crane(['auth', 'login', last.server, '-u', last.username, '-p', last.password], dir);
      await crane(['append', '-f', join(work, 'layer.tar'), '-t', image], dir);
      expect(await crane(['digest', image], dir)).toMatch(/^sha256:/);
    });
  });

  it('read its objects from the API server whenever the cache had not caught up with its own writes', async () => {
    expect(lagging.watches).toBeGreaterThan(0);
    const metrics = await fetch(`http://${stack.operator.health.address}/metrics`).then((r) => r.text());
    const stale = /berth_controller_stale_cache_reads_total\{controller="registry-token"\} (\d+)/.exec(
      metrics,
    );
    expect(Number(stale?.[1] ?? 0)).toBeGreaterThan(0);
  });
});
