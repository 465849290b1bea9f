import type { ProviderFactory } from '../../clients/provider.ts';
import { ContainerRegistrySchema } from '../../crds/index.ts';
import type { OperatorDeps } from '../../operator.ts';
import { Controller } from '../runtime/controller.ts';
import { secretReader } from '../shared/credentials.ts';
import { CONTAINER_REGISTRY } from '../shared/resources.ts';
import { ContainerRegistryReconciler } from './reconcile.ts';

/** The ContainerRegistry controller, wired to the operator's clients. */
export function containerRegistryController(deps: OperatorDeps, providers: ProviderFactory): Controller {
  const { config, clients, logger, metrics } = deps;
  return new Controller({
    name: 'container-registry',
    type: CONTAINER_REGISTRY,
    schema: ContainerRegistrySchema,
    reconciler: new ContainerRegistryReconciler({ providers, readCredentials: secretReader(clients.core) }),
    kubeConfig: clients.kubeConfig,
    custom: clients.custom,
    events: deps.eventsFor('container-registry'),
    logger,
    metrics,
    clock: deps.clock,
    namespaces: config.namespaces,
    workers: config.workers,
    reconcileTimeoutMs: config.reconcileTimeout,
    ...(config.shardSelector ? { labelSelector: config.shardSelector } : {}),
  }) as Controller;
}
