import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { type RegistryToken, RegistryTokenSchema } from '../../crds/registry-token.ts';
import { TOKEN_UID, tokenWorld } from './fake-world.ts';

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
    uid: TOKEN_UID,
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

/** `web` takes copies from `shop`, with the user's label and annotation keys it accepts. */
const CONSENT = {
  'berth.dev/accept-copies-from': 'shop',
  'berth.dev/accept-copy-labels': 'team',
  'berth.dev/accept-copy-annotations': 'example.com/*',
};

/** Runs one reconcile of `token` and returns every Secret it left behind. */
async function reconcileOnce(consent: Record<string, string> = CONSENT): Promise<V1Secret[]> {
  const world = tokenWorld({ namespaces: ['shop', 'web'], annotations: { web: consent } });
  await world.reconcile(token, {});
  return [...world.api.secrets.values()];
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

  it('item 4: a copy carries only berth’s labels and annotations where its namespace accepts no others', async () => {
    const copy = (await reconcileOnce({ 'berth.dev/accept-copies-from': 'shop/shop-pull' })).find(
      (s) => s.metadata?.namespace === 'web',
    );
    expect(copy?.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'berth',
      'berth.dev/token-uid': TOKEN_UID,
    });
    expect(Object.keys(copy?.metadata?.annotations ?? {}).sort()).toEqual([
      'berth.dev/content-hash',
      'berth.dev/credential-id',
    ]);
  });

  it('item 4: no copy at all where the namespace has not consented', async () => {
    const written = await reconcileOnce({});
    expect(written.map((s) => s.metadata?.namespace)).toEqual(['shop']);
  });
});
