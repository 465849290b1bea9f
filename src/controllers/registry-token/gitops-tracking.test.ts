import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Provider, Tokens } from '../../clients/provider.ts';
import { type ContainerRegistry, ContainerRegistrySchema } from '../../crds/container-registry.ts';
import { type RegistryToken, RegistryTokenSchema } from '../../crds/registry-token.ts';
import type { ReconcileRequest } from '../runtime/controller.ts';
import { coreDistributor } from './controller.ts';
import { RegistryTokenReconciler } from './reconcile.ts';

const UID = '2f7c1d9e-5b8a-4c3e-9f1a-0d6e4b2c8a71';

/**
 * What Argo CD and Flux put on the objects they apply: Argo's label tracking (instance label),
 * annotation tracking and sync options, Flux's kustomize- and helm-controller ownership labels and
 * options, and kubectl's client-side apply record (which holds the whole spec).
 */
const TRACKING_LABELS = {
  'app.kubernetes.io/instance': 'shop-platform',
  'kustomize.toolkit.fluxcd.io/name': 'apps',
  'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
  'helm.toolkit.fluxcd.io/name': 'shop',
  'helm.toolkit.fluxcd.io/namespace': 'shop',
};
const TRACKING_ANNOTATIONS = {
  'argocd.argoproj.io/tracking-id': 'shop-platform:berth.dev/RegistryToken:shop/shop-pull',
  'argocd.argoproj.io/sync-wave': '2',
  'argocd.argoproj.io/sync-options': 'Prune=true',
  'kustomize.toolkit.fluxcd.io/ssa': 'Merge',
  'kustomize.toolkit.fluxcd.io/prune': 'disabled',
  'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"RegistryToken"}',
};
const TRACKING_KEY =
  /^(app\.kubernetes\.io\/instance|argocd\.argoproj\.io\/|[a-z]+\.toolkit\.fluxcd\.io\/|kubectl\.)/;

/** A RegistryToken applied by a GitOps tool: tracking metadata on the token, the user's in spec.secret. */
const token: RegistryToken = RegistryTokenSchema.parse({
  apiVersion: 'berth.dev/v1alpha1',
  kind: 'RegistryToken',
  metadata: {
    name: 'shop-pull',
    namespace: 'shop',
    uid: UID,
    generation: 1,
    labels: TRACKING_LABELS,
    annotations: TRACKING_ANNOTATIONS,
  },
  spec: {
    registryRef: { name: 'shop' },
    scopes: [{ repository: 'shop/*', actions: ['pull'] }],
    secret: { labels: { team: 'shop' }, annotations: { 'example.com/owner': 'shop-team' } },
    distribute: { namespaces: ['web'] },
  },
});

const registry: ContainerRegistry = ContainerRegistrySchema.parse({
  apiVersion: 'berth.dev/v1alpha1',
  kind: 'ContainerRegistry',
  metadata: { name: 'shop', namespace: 'shop', uid: 'registry-uid', generation: 1 },
  spec: {
    provider: 'ionos',
    credentialsRef: { name: 'ionos-api' },
    ionos: { name: 'shop-registry', location: 'de/fra' },
    allowedNamespaces: { from: 'All' },
  },
  status: {
    observedGeneration: 1,
    externalId: 'reg-1',
    registryName: 'shop-registry',
    server: 'shop-registry.cr.de-fra.ionos.com',
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        observedGeneration: 1,
        lastTransitionTime: '2026-11-30T05:00:00Z',
        reason: 'Succeeded',
        message: 'ready',
      },
    ],
  },
});

/** The Secret calls of CoreV1Api the reconciler and the distributor make, over an in-memory store. */
function fakeCore() {
  const secrets = new Map<string, V1Secret>();
  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  const notFound = () => Object.assign(new Error('not found'), { code: 404 });
  const store = (namespace: string, body: V1Secret) => {
    const stored = structuredClone(body);
    stored.metadata = { ...stored.metadata, namespace, uid: `uid-${secrets.size}`, resourceVersion: '1' };
    secrets.set(key(namespace, stored.metadata.name ?? ''), stored);
    return stored;
  };
  const core = {
    async readNamespacedSecret({ namespace, name }: { namespace: string; name: string }) {
      const found = secrets.get(key(namespace, name));
      if (!found) throw notFound();
      return structuredClone(found);
    },
    async createNamespacedSecret({ namespace, body }: { namespace: string; body: V1Secret }) {
      return store(namespace, body);
    },
    async replaceNamespacedSecret({ namespace, body }: { namespace: string; body: V1Secret }) {
      return store(namespace, body);
    },
    async listSecretForAllNamespaces({ labelSelector }: { labelSelector: string }) {
      const [k, v] = labelSelector.split('=') as [string, string];
      return { items: [...secrets.values()].filter((s) => s.metadata?.labels?.[k] === v) };
    },
    async listNamespace() {
      return { items: ['shop', 'web'].map((name) => ({ metadata: { name } })) };
    },
  };
  return { core: core as unknown as CoreV1Api, secrets };
}

/** An IONOS-like provider that issues one credential. */
function fakeProvider(): Provider {
  const tokens: Tokens = {
    renewalModes: ['Rotate'],
    expires: true,
    async issue({ name, expiresAt }) {
      return {
        id: 'cred-1',
        name,
        login: { server: 'shop-registry.cr.de-fra.ionos.com', username: name, password: 'p' },
        expiresAt,
      };
    },
    async observe() {
      return undefined;
    },
    async listOwned() {
      return [];
    },
    async revoke() {},
  };
  return { name: 'ionos', tokens } as unknown as Provider;
}

/** Runs one reconcile of `token` and returns every Secret it left behind. */
async function reconcileOnce(): Promise<V1Secret[]> {
  const { core, secrets } = fakeCore();
  const reconciler = new RegistryTokenReconciler({
    core,
    providers: () => fakeProvider(),
    readCredentials: async () => ({ token: 'api-token' }),
    getRegistry: async () => registry,
    namespaceLabels: async () => ({}),
    distributor: coreDistributor(core),
  });
  const req = {
    object: token,
    status: {},
    logger: pino({ level: 'silent' }),
    recordEvent: async () => undefined,
    signal: new AbortController().signal,
    now: () => Date.UTC(2026, 10, 30, 5, 0, 0),
    deleting: false,
    ensureFinalizer: async () => false,
    removeFinalizer: async () => false,
    persistStatus: async () => undefined,
  } satisfies ReconcileRequest<RegistryToken>;
  await reconciler.reconcile(req);
  return [...secrets.values()];
}

describe('Secrets of a RegistryToken applied by Argo CD or Flux', () => {
  it('writes the Secret and its copy without the token’s GitOps tracking labels and annotations', async () => {
    const written = await reconcileOnce();
    expect(written.map((s) => s.metadata?.namespace).sort()).toEqual(['shop', 'web']);
    for (const secret of written) {
      const keys = [
        ...Object.keys(secret.metadata?.labels ?? {}),
        ...Object.keys(secret.metadata?.annotations ?? {}),
      ];
      // Argo CD would count such a Secret as part of its Application (and prune the copies, which
      // have no ownerReference); Flux would list it in its inventory views.
      expect(
        keys.filter((k) => TRACKING_KEY.test(k)),
        secret.metadata?.namespace,
      ).toEqual([]);
    }
  });

  it('still carries what the user asked for in spec.secret on the Secret and every copy', async () => {
    for (const secret of await reconcileOnce()) {
      expect(secret.metadata?.labels).toMatchObject({
        team: 'shop',
        'app.kubernetes.io/managed-by': 'berth',
      });
      expect(secret.metadata?.annotations).toMatchObject({ 'example.com/owner': 'shop-team' });
    }
  });
});
