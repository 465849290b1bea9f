import type { ProviderFactory } from '../../clients/provider.ts';
import type { CleanupPolicy } from '../../crds/cleanup-policy.ts';
import { CleanupPolicySchema, cleanupPolicyCrd, GROUP, VERSION } from '../../crds/index.ts';
import type { OperatorDeps } from '../../operator.ts';
import { Controller, type SecondaryCache } from '../runtime/controller.ts';
import type { ResourceType } from '../runtime/resource.ts';
import { secretReader } from '../shared/credentials.ts';
import { cachedNamespaceLabels, namespacesWatch } from '../shared/namespaces.ts';
import { cachedRegistries, registriesWatch } from '../shared/registries.ts';
import type { ManifestDeleterFactory } from './execute.ts';
import { CleanupPolicyReconciler, RUN_REQUESTED_ANNOTATION } from './reconcile.ts';

/** The CleanupPolicy resource. */
export const CLEANUP_POLICY: ResourceType = {
  group: GROUP,
  version: VERSION,
  kind: cleanupPolicyCrd.kind,
  plural: cleanupPolicyCrd.plural,
};

/** The CleanupPolicy controller, wired to the operator's clients and an OCI client factory. */
export function cleanupPolicyController(
  deps: OperatorDeps,
  providers: ProviderFactory,
  oci: ManifestDeleterFactory,
): Controller {
  const { config, clients, logger, metrics } = deps;
  const { core, custom } = clients;
  let controller: Controller | undefined;
  const registry = cachedRegistries(() => controller?.cache('containerregistries') ?? EMPTY_CACHE);
  const policies = () => (controller?.list() ?? []) as unknown as CleanupPolicy[];
  const reconciler = new CleanupPolicyReconciler({
    providers,
    readCredentials: secretReader(core),
    // From the registries watch: a reconcile reads no registry from the API server.
    getRegistry: async (namespace, name) => registry(namespace, name),
    namespaceLabels: cachedNamespaceLabels(() => controller?.cache('namespaces') ?? EMPTY_CACHE),
    oci,
    budgets: deps.budgets,
    observe: {
      run: (provider, result) => metrics.cleanupRuns.inc({ provider, result }),
      deleted: (provider, count) => metrics.cleanupDeletions.inc({ provider }, count),
    },
  });
  controller = new Controller<CleanupPolicy>({
    name: 'cleanup-policy',
    type: CLEANUP_POLICY,
    schema: CleanupPolicySchema,
    reconciler,
    kubeConfig: clients.kubeConfig,
    custom,
    events: deps.eventsFor('cleanup-policy'),
    logger,
    metrics,
    clock: deps.clock,
    namespaces: config.namespaces,
    workers: config.workers,
    // A run lists and deletes up to maxDeletionsPerRun images: give it more than a minute.
    reconcileTimeoutMs: Math.max(config.reconcileTimeout, 10 * 60_000),
    triggerAnnotations: [RUN_REQUESTED_ANNOTATION],
    ...(config.shardSelector ? { labelSelector: config.shardSelector } : {}),
    // A namespace labelled later may admit the policies in it to a registry elsewhere; a registry
    // whose grants change decides anew about the policies that use it.
    watches: [
      registriesWatch(config.namespaces, policies),
      namespacesWatch(core, (namespace) =>
        (controller?.list() ?? [])
          .filter((p) => p.metadata?.namespace === namespace.name)
          .map((p) => `${namespace.name}/${p.metadata?.name}`),
      ),
    ],
  }) as Controller;
  return controller;
}

/** What the cache reads see before the controller exists. */
const EMPTY_CACHE: SecondaryCache = { get: () => undefined, list: () => [], synced: false };
