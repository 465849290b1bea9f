import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import pino from 'pino';
import type { Provider, Tokens } from '../../clients/provider.ts';
import { NotFoundError } from '../../clients/provider.ts';
import { type ContainerRegistry, ContainerRegistrySchema } from '../../crds/container-registry.ts';
import { type RegistryToken, RegistryTokenSchema } from '../../crds/registry-token.ts';
import { FakeClock } from '../runtime/clock.ts';
import type { ReconcileRequest } from '../runtime/controller.ts';
import type { EventInput } from '../runtime/events.ts';
import { CredentialCensus } from './census.ts';
import { coreDistributor } from './controller.ts';
import { memoryReads } from './memory-reads.ts';
import { type RegistryTokenDeps, RegistryTokenReconciler } from './reconcile.ts';
import { apiSecrets } from './secret.ts';

/** For unit tests only: the UID of {@link tokenObject}'s token. */
export const TOKEN_UID = '2f7c1d9e-5b8a-4c3e-9f1a-0d6e4b2c8a71';

/** For unit tests only: an IONOS ContainerRegistry, Ready, that admits every namespace. */
export function registryObject(): ContainerRegistry {
  return ContainerRegistrySchema.parse({
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
}

/** For unit tests only: a RegistryToken `shop/shop-pull` on {@link registryObject}, with `spec` merged in. */
export function tokenObject(
  spec: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): RegistryToken {
  return RegistryTokenSchema.parse({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'RegistryToken',
    metadata: { name: 'shop-pull', namespace: 'shop', uid: TOKEN_UID, generation: 1, ...metadata },
    spec: { registryRef: { name: 'shop' }, scopes: [{ repository: 'shop/*', actions: ['pull'] }], ...spec },
  });
}

/** The Secret calls of CoreV1Api the reconciler and the distributor make, over an in-memory store. */
export function fakeCore() {
  const secrets = new Map<string, V1Secret>();
  const writes: string[] = [];
  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  const notFound = () => Object.assign(new Error('not found'), { code: 404 });
  let version = 1;
  const store = (namespace: string, body: V1Secret) => {
    const stored = structuredClone(body);
    stored.metadata = {
      ...stored.metadata,
      namespace,
      uid: `uid-${secrets.size}`,
      resourceVersion: `${version++}`,
    };
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
      writes.push(`create secret ${namespace}/${body.metadata?.name}`);
      return store(namespace, body);
    },
    async replaceNamespacedSecret({ namespace, body }: { namespace: string; body: V1Secret }) {
      writes.push(`replace secret ${namespace}/${body.metadata?.name}`);
      return store(namespace, body);
    },
    async deleteNamespacedSecret({ namespace, name }: { namespace: string; name: string }) {
      writes.push(`delete secret ${namespace}/${name}`);
      secrets.delete(key(namespace, name));
    },
    /** Only the `key=value` label selectors berth uses. */
    async listSecretForAllNamespaces({ labelSelector }: { labelSelector?: string }) {
      const [k = '', v] = (labelSelector ?? '').split('=');
      const items = [...secrets.values()].filter((s) => !k || s.metadata?.labels?.[k] === v);
      return { items: items.map((s) => structuredClone(s)) };
    },
  };
  return { core: core as unknown as CoreV1Api, secrets, writes };
}

/** An IONOS-like credential store: names are unique, expired credentials vanish (observe: undefined). */
export function fakeTokens() {
  const live = new Map<string, { name: string; expiresAt: Date | undefined }>();
  const calls: string[] = [];
  let next = 1;
  const tokens: Required<Pick<Tokens, 'extend'>> & Tokens = {
    renewalModes: ['Rotate', 'Extend'],
    expires: true,
    async issue({ name, expiresAt }) {
      calls.push(`issue ${name}`);
      const id = `cred-${next++}`;
      live.set(id, { name, expiresAt });
      return {
        id,
        name,
        login: { server: 'shop-registry.cr.de-fra.ionos.com', username: name, password: 'p' },
        expiresAt,
      };
    },
    async observe(_registry, id) {
      calls.push(`observe ${id}`);
      const found = live.get(id);
      return found && { id, name: found.name, enabled: true, expiresAt: found.expiresAt };
    },
    async listOwned(_registry, prefix) {
      calls.push('listOwned');
      return [...live]
        .filter(([, c]) => c.name.startsWith(prefix))
        .map(([id, c]) => ({ id, name: c.name, enabled: true }));
    },
    async extend(_registry, id, expiresAt) {
      calls.push(`extend ${id}`);
      const found = live.get(id);
      if (!found)
        throw new NotFoundError('token not found', {
          provider: 'ionos',
          operation: 'tokens.patch',
          method: 'PATCH',
          path: `/registries/reg-1/tokens/${id}`,
          status: 404,
        });
      found.expiresAt = expiresAt;
      return { id, name: found.name, enabled: true, expiresAt };
    },
    async revoke(_registry, id) {
      calls.push(`revoke ${id}`);
      live.delete(id);
    },
  };
  return { tokens, live, calls };
}

/**
 * For unit tests only: a RegistryToken reconciler on fake ports (cache reads over the fake API's
 * Secrets), a fake IONOS provider and a fake clock, recording every write and event.
 */
export function tokenWorld(
  options: {
    namespaces?: string[];
    annotations?: Record<string, Record<string, string>>;
    /** The registry the tokens use (default {@link registryObject}). */
    registry?: ContainerRegistry;
    /** Another provider's credentials instead of the IONOS-like {@link fakeTokens}. */
    tokens?: Tokens;
  } = {},
) {
  const clock = new FakeClock(Date.UTC(2026, 10, 30, 5, 0, 0));
  const api = fakeCore();
  const provider = fakeTokens();
  const registry = options.registry ?? registryObject();
  const reads = memoryReads({
    registries: [registry],
    namespaces: (options.namespaces ?? ['shop']).map((name) => ({
      metadata: { name, ...(options.annotations?.[name] ? { annotations: options.annotations[name] } : {}) },
    })),
    secrets: api.secrets,
  });
  const deps: RegistryTokenDeps = {
    secrets: apiSecrets(api.core),
    reads,
    providers: () => ({ name: 'ionos', tokens: options.tokens ?? provider.tokens }) as unknown as Provider,
    readCredentials: async () => ({ token: 'api-token' }),
    getRegistry: async (namespace, name) => reads.registry(namespace, name),
    namespaceLabels: async () => ({}),
    distributor: coreDistributor(api.core, undefined, reads),
    census: new CredentialCensus(clock),
  };
  const reconciler = new RegistryTokenReconciler(deps);
  const events: EventInput[] = [];
  /** One reconcile of `token` from `status` (mutated in place, as the controller's copy is). */
  const reconcile = async (
    token: RegistryToken,
    status: Record<string, unknown>,
    { deleting = false }: { deleting?: boolean } = {},
  ) => {
    const request = {
      object: token,
      status,
      logger: pino({ level: 'silent' }),
      recordEvent: async (event: EventInput) => void events.push(event),
      signal: new AbortController().signal,
      now: () => clock.now(),
      deleting,
      ensureFinalizer: async () => {
        api.writes.push('finalizer');
        return true;
      },
      removeFinalizer: async () => {
        api.writes.push('remove finalizer');
        return true;
      },
      persistStatus: async () => void api.writes.push('status'),
      recordIntent: async (annotations: Record<string, string>) =>
        void api.writes.push(`intent ${Object.values(annotations).join(',')}`),
      waitShared: (work) => work,
    } satisfies ReconcileRequest<RegistryToken>;
    return reconciler.reconcile(request);
  };
  /** Gives the reconciler request budgets (none by default). */
  const setBudgets = (budgets: NonNullable<RegistryTokenDeps['budgets']>) => {
    deps.budgets = budgets;
  };
  return { clock, api, provider, reconcile, events, registry, setBudgets, census: deps.census };
}
