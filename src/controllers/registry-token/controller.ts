import type { CoreV1Api, KubernetesObject, V1Secret, V1ServiceAccount } from '@kubernetes/client-node';
import type { ProviderFactory } from '../../clients/provider.ts';
import { GROUP, RegistryTokenSchema, registryTokenCrd, VERSION } from '../../crds/index.ts';
import type { RegistryToken } from '../../crds/registry-token.ts';
import { MANAGED_BY_LABEL } from '../../crds/token-parts.ts';
import type { OperatorDeps } from '../../operator.ts';
import { systemClock } from '../runtime/clock.ts';
import { Controller, type SecondaryCache, type WatchSource } from '../runtime/controller.ts';
import type { ResourceType } from '../runtime/resource.ts';
import { secretReader } from '../shared/credentials.ts';
import { namespacesWatch, pickMetadata } from '../shared/namespaces.ts';
import { CONTAINER_REGISTRY } from '../shared/resources.ts';
import { cacheReads, type TokenReads } from './cache-ports.ts';
import { cachedCredentials } from './credentials-cache.ts';
import { distribute, targetsNamespace, undistribute } from './distribute.ts';
import type { TokenDistributor } from './distributor.ts';
import { ROTATE_REQUESTED_ANNOTATION } from './reasons.ts';
import { RegistryTokenReconciler } from './reconcile.ts';
import { apiSecrets } from './secret.ts';

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
 * limits it to the namespaces of namespaced mode.
 */
export function coreDistributor(
  core: CoreV1Api,
  reach?: ReadonlySet<string>,
  reads?: TokenReads,
): TokenDistributor {
  return {
    async distribute(token, secret: V1Secret | undefined, registry) {
      if (!secret?.metadata?.name) return { namespacesServed: [], problems: [] };
      const input = {
        token: {
          namespace: token.metadata.namespace,
          name: token.metadata.name,
          uid: token.metadata.uid ?? '',
        },
        secret: {
          name: secret.metadata.name,
          type: secret.type ?? 'kubernetes.io/dockerconfigjson',
          data: secret.data ?? {},
          labels: secret.metadata.labels ?? {},
          annotations: secret.metadata.annotations ?? {},
        },
        distribute: token.spec.distribute,
        registry,
        reach,
        cached: reads && {
          namespaces: () => reads.namespaces(),
          copies: (uid: string) => reads.copies(uid),
          pullSecretsOf: (namespace: string, name: string) => reads.pullSecretsOf(namespace, name),
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
      });
    },
  };
}

/**
 * The RegistryToken controller. Besides its own kind it watches the Secrets it writes (a deleted
 * or edited Secret is repaired at once), ContainerRegistries (a registry becoming Ready), and
 * Namespaces and ServiceAccounts (new distribution targets are served within seconds).
 */
export function registryTokenController(deps: OperatorDeps, providers: ProviderFactory): Controller {
  const { config, clients, logger, metrics } = deps;
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
    systemClock,
  );
  const watches: WatchSource[] = [
    {
      // The token Secrets and their copies: where the copies may be, whatever --namespaces says.
      name: 'secrets',
      path: '/api/v1/secrets',
      labelSelector: managed,
      list: () => core.listSecretForAllNamespaces({ labelSelector: managed }),
      namespaces: reach ? [...reach] : [],
      observe: (obj, event) => reads.observeSecret(obj, event),
      pathIn: (ns) => `/api/v1/namespaces/${ns}/secrets`,
      listIn: (namespace) => core.listNamespacedSecret({ namespace, labelSelector: managed }),
      map: (obj: KubernetesObject) =>
        (obj.metadata?.ownerReferences ?? [])
          .filter((r) => r.kind === registryTokenCrd.kind && r.controller)
          .map((r) => `${obj.metadata?.namespace}/${r.name}`),
    },
    {
      name: 'containerregistries',
      path: `/apis/${GROUP}/${VERSION}/${CONTAINER_REGISTRY.plural}`,
      list: () => custom.listClusterCustomObject({ ...CONTAINER_REGISTRY }) as never,
      namespaces: watched,
      pathIn: (ns) => `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${CONTAINER_REGISTRY.plural}`,
      listIn: (namespace) => custom.listNamespacedCustomObject({ ...CONTAINER_REGISTRY, namespace }) as never,
      map: (obj) =>
        keys(
          (t) =>
            t.spec.registryRef.name === obj.metadata?.name &&
            (t.spec.registryRef.namespace ?? t.metadata.namespace) === obj.metadata?.namespace,
        ),
    },
    // Distribution chooses namespaces by name and labels; a token in a namespace labelled later
    // may become admitted by its registry.
    namespacesWatch(core, (namespace) =>
      keys((t) => t.metadata.namespace === namespace.name || targetsNamespace(t.spec.distribute, namespace)),
    ),
    {
      name: 'serviceaccounts',
      path: '/api/v1/serviceaccounts',
      list: () => core.listServiceAccountForAllNamespaces(),
      namespaces: reach ? [...reach] : [],
      pathIn: (ns) => `/api/v1/namespaces/${ns}/serviceaccounts`,
      listIn: (namespace) => core.listNamespacedServiceAccount({ namespace }),
      // Kept to name and pull secrets: enough to map events to tokens and to see that a
      // ServiceAccount already lists a token's Secret without reading it; a few dozen bytes each
      // instead of the whole object, for clusters with tens of thousands of them.
      transform: (obj) =>
        ({
          metadata: pickMetadata(obj.metadata, ['name', 'namespace', 'uid', 'resourceVersion']),
          imagePullSecrets: (obj as V1ServiceAccount).imagePullSecrets?.map((r) => ({ name: r.name })),
        }) as KubernetesObject,
      map: (obj) =>
        keys((t) => (t.spec.distribute?.serviceAccounts ?? []).includes(obj.metadata?.name ?? '')),
    },
  ];

  const reconciler = new RegistryTokenReconciler({
    secrets: apiSecrets(core),
    providers,
    reads,
    readCredentials: cachedCredentials(secretReader(core), systemClock),
    getRegistry: async (namespace, name) => reads.registry(namespace, name),
    namespaceLabels: async (namespace) => reads.namespaceLabels(namespace) ?? {},
    distributor: coreDistributor(core, reach, reads),
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
    namespaces: config.namespaces,
    workers: config.workers,
    reconcileTimeoutMs: config.reconcileTimeout,
    watches,
    triggerAnnotations: [ROTATE_REQUESTED_ANNOTATION],
    ...(config.shardSelector ? { labelSelector: config.shardSelector } : {}),
  }) as Controller;
  return controller;
}
