import type { CoreV1Api, KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { ProviderFactory } from '../../clients/provider.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import { GROUP, RegistryTokenSchema, registryTokenCrd, VERSION } from '../../crds/index.ts';
import type { RegistryToken } from '../../crds/registry-token.ts';
import { MANAGED_BY_LABEL } from '../../crds/token-parts.ts';
import type { OperatorDeps } from '../../operator.ts';
import { Controller, type SecondaryCache, type WatchSource } from '../runtime/controller.ts';
import type { ResourceType } from '../runtime/resource.ts';
import { secretReader } from '../shared/credentials.ts';
import { namespacesWatch } from '../shared/namespaces.ts';
import { providerOf } from '../shared/reference.ts';
import { registriesWatch } from '../shared/registries.ts';
import { cacheReads, type TokenReads } from './cache-ports.ts';
import { CredentialCensus } from './census.ts';
import { BERTH_NAME_PREFIX } from './census-findings.ts';
import { CensusLoop } from './census-loop.ts';
import { CONSENT_ANNOTATIONS } from './consent.ts';
import { CopyError, ownAnnotationsOf } from './copies.ts';
import { cachedCredentials } from './credentials-cache.ts';
import { distribute, targetsNamespace, undistribute } from './distribute.ts';
import type { TokenDistributor } from './distributor.ts';
import { ROTATE_REQUESTED_ANNOTATION } from './reasons.ts';
import { RegistryTokenReconciler } from './reconcile.ts';
import { apiSecrets, readSecret } from './secret.ts';
import { cacheSecret, dataHashOf, isCached } from './secret-cache.ts';
import { ATTACHED_ANNOTATION, attachedNames, cacheServiceAccount } from './service-accounts.ts';

/** A cache that holds nothing: what the reads see before the controller exists. */
const EMPTY: SecondaryCache = { get: () => undefined, list: () => [], synced: false };

/** The RegistryToken resource. */
export const REGISTRY_TOKEN: ResourceType = {
  group: GROUP,
  version: VERSION,
  kind: registryTokenCrd.kind,
  plural: registryTokenCrd.plural,
};

/**
 * Distribution on the core API (copies and ServiceAccount entries), see distribute.ts; `reach`
 * limits it to the namespaces of namespaced mode. The primary Secret usually comes from the cache,
 * without data: copies are compared by digests, and the data is read live (once) only when a copy
 * must be written, unless a rotation just wrote it.
 */
export function coreDistributor(
  core: CoreV1Api,
  reach?: ReadonlySet<string>,
  reads?: TokenReads,
): TokenDistributor {
  return {
    async distribute(token, secret: V1Secret | undefined, registry) {
      if (!secret?.metadata?.name) return { namespacesServed: [], problems: [] };
      let data: Promise<Record<string, string>> | undefined;
      const input = {
        token: {
          namespace: token.metadata.namespace,
          name: token.metadata.name,
          uid: token.metadata.uid ?? '',
        },
        secret: {
          name: secret.metadata.name,
          type: secret.type ?? 'kubernetes.io/dockerconfigjson',
          dataHash: dataHashOf(secret),
          data: () => {
            data ??= primaryData(core, secret);
            return data;
          },
          labels: token.spec.secret?.labels ?? {},
          annotations: { ...token.spec.secret?.annotations, ...ownAnnotationsOf(secret) },
        },
        distribute: token.spec.distribute,
        registry,
        reach,
        cached: reads && {
          namespaces: () => reads.namespaces(),
          copies: (uid: string) => reads.copies(uid),
          pullSecretsOf: (namespace: string, name: string) => reads.pullSecretsOf(namespace, name),
          attachedTo: (namespace: string, name: string) => reads.attachedTo(namespace, name),
        },
      };
      const result = await distribute(core, input);
      return { namespacesServed: result.namespacesServed, problems: result.problems };
    },
    async undistribute(token, secretName) {
      await undistribute(core, {
        token: {
          namespace: token.metadata.namespace,
          name: token.metadata.name,
          uid: token.metadata.uid ?? '',
        },
        secretName,
        serviceAccounts: token.spec.distribute?.serviceAccounts ?? [],
        reach,
        cached: reads && { attachedTo: (namespace, name) => reads.attachedTo(namespace, name) },
      });
    },
  };
}

/**
 * The primary's data for a copy: the Secret's own when it was read live or just written, else one
 * live read, which must still be the object the cache described (a Secret replaced meanwhile is
 * a conflict, retried on fresh data, never copied).
 */
async function primaryData(core: CoreV1Api, primary: V1Secret): Promise<Record<string, string>> {
  if (!isCached(primary)) return primary.data ?? {};
  const namespace = primary.metadata?.namespace ?? '';
  const name = primary.metadata?.name ?? '';
  let live: V1Secret | undefined;
  try {
    live = await readSecret(core, namespace, name);
  } catch (err) {
    throw new CopyError(`read Secret ${name} in ${namespace}`, err);
  }
  if (!live || live.metadata?.uid !== primary.metadata?.uid)
    throw new CopyError(`read Secret ${name} in ${namespace}`, { code: 409 });
  return live.data ?? {};
}

/**
 * The RegistryToken controller. Besides its own kind it watches the Secrets it writes (a deleted
 * or edited Secret is repaired at once), ContainerRegistries (a registry becoming Ready), and
 * Namespaces and ServiceAccounts (new distribution targets are served within seconds).
 */
export function registryTokenController(deps: OperatorDeps, providers: ProviderFactory): Controller {
  const { config, clients, logger, metrics, clock } = deps;
  const { core, custom } = clients;
  let controller: Controller | undefined;
  const tokens = () => (controller?.list() ?? []) as unknown as RegistryToken[];
  const keys = (match: (t: RegistryToken) => boolean) =>
    tokens()
      .filter(match)
      .map((t) => `${t.metadata.namespace}/${t.metadata.name}`);

  // Namespaced mode: every read stays in the watched namespaces (and, for ServiceAccounts and
  // copies, the distribution namespaces), so the operator needs no cluster-wide Secret rights.
  const watched = config.namespaces;
  const anywhere = config.distributionNamespaces.includes('*');
  const reach =
    watched.length > 0 && !anywhere ? new Set([...watched, ...config.distributionNamespaces]) : undefined;
  const managed = `${MANAGED_BY_LABEL}=berth`;
  const reads = cacheReads(
    () => ({
      registries: controller?.cache('containerregistries') ?? EMPTY,
      namespaces: controller?.cache('namespaces') ?? EMPTY,
      secrets: controller?.cache('secrets') ?? EMPTY,
      serviceAccounts: controller?.cache('serviceaccounts') ?? EMPTY,
    }),
    core,
    clock,
  );
  // Every watch is listed by its informer page by page and streamed (runtime/stream-list.ts), and
  // each object is cut down before it is kept: a tenant may label its own Secrets as berth's and
  // make them 1 MiB each, and may fill its ServiceAccounts and Namespace with entries.
  const watches: WatchSource[] = [
    {
      // The token Secrets and their copies: where the copies may be, whatever --namespaces says.
      name: 'secrets',
      path: '/api/v1/secrets',
      labelSelector: managed,
      namespaces: reach ? [...reach] : [],
      observe: (obj, event) => reads.observeSecret(obj, event),
      pathIn: (ns) => `/api/v1/namespaces/${ns}/secrets`,
      transform: cacheSecret,
      map: (obj: KubernetesObject) =>
        (obj.metadata?.ownerReferences ?? [])
          .filter((r) => r.kind === registryTokenCrd.kind && r.controller)
          .map((r) => `${obj.metadata?.namespace}/${r.name}`),
    },
    registriesWatch(watched, tokens),
    // Distribution chooses namespaces by name and labels, and needs their consent (annotations);
    // a token in a namespace labelled later may become admitted by its registry.
    namespacesWatch(
      core,
      (namespace) =>
        keys(
          (t) => t.metadata.namespace === namespace.name || targetsNamespace(t.spec.distribute, namespace),
        ),
      CONSENT_ANNOTATIONS,
    ),
    {
      name: 'serviceaccounts',
      path: '/api/v1/serviceaccounts',
      namespaces: reach ? [...reach] : [],
      pathIn: (ns) => `/api/v1/namespaces/${ns}/serviceaccounts`,
      transform: cacheServiceAccount,
      observe: (obj, event) => reads.observeServiceAccount(obj, event),
      // Tokens that name it, and tokens whose Secret berth recorded on it (an entry to take off).
      map: (obj) => {
        const recorded = attachedNames(obj.metadata?.annotations?.[ATTACHED_ANNOTATION]);
        return keys(
          (t) =>
            (t.spec.distribute?.serviceAccounts ?? []).includes(obj.metadata?.name ?? '') ||
            recorded.includes(t.spec.secret?.name ?? t.metadata.name),
        );
      },
    },
  ];

  const readCredentials = cachedCredentials(secretReader(core), clock);
  const census = new CredentialCensus(clock);
  const censusLoop = new CensusLoop({
    clock,
    census,
    logger: logger.child({ component: 'credential-census' }),
    metrics,
    registries: () =>
      (controller?.cache('containerregistries').list() ?? []) as unknown as ContainerRegistry[],
    tokens,
    lister: async (registry) => {
      const found = await providerOf(
        {
          providers,
          readCredentials,
          getRegistry: async (namespace, name) => reads.registry(namespace, name),
          namespaceLabels: async (namespace) => reads.namespaceLabels(namespace),
        },
        registry,
      );
      return {
        provider: found.provider.name,
        list: () => found.provider.tokens.listOwned(found.registry, BERTH_NAME_PREFIX),
      };
    },
    enqueue: (key) => controller?.queue.add(key),
  });
  const reconciler = new RegistryTokenReconciler({
    secrets: apiSecrets(core),
    providers,
    reads,
    census,
    readCredentials,
    getRegistry: async (namespace, name) => reads.registry(namespace, name),
    namespaceLabels: async (namespace) => reads.namespaceLabels(namespace),
    distributor: coreDistributor(core, reach, reads),
    budgets: deps.budgets,
    observe: {
      times: (token, times) => {
        const labels = { namespace: token.metadata.namespace, name: token.metadata.name };
        const set = (gauge: typeof metrics.tokenExpiry, at: number | undefined) => {
          if (at === undefined) gauge.remove(labels);
          else gauge.set(labels, Math.floor(at / 1000));
        };
        set(metrics.tokenExpiry, times?.expiresAt);
        set(metrics.tokenRenewal, times?.renewAt);
      },
      rotation: (provider, result) => metrics.tokenRotations.inc({ provider, result }),
    },
  });
  controller = new Controller<RegistryToken>({
    name: 'registry-token',
    type: REGISTRY_TOKEN,
    schema: RegistryTokenSchema,
    reconciler,
    kubeConfig: clients.kubeConfig,
    custom,
    events: deps.eventsFor('registry-token'),
    logger,
    metrics,
    clock,
    namespaces: config.namespaces,
    workers: config.workers,
    reconcileTimeoutMs: config.reconcileTimeout,
    watches,
    triggerAnnotations: [ROTATE_REQUESTED_ANNOTATION],
    background: [censusLoop],
    ...(config.shardSelector ? { labelSelector: config.shardSelector } : {}),
  }) as Controller;
  return controller;
}
