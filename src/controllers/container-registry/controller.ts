import type { CoreV1Api } from '@kubernetes/client-node';
import type { CredentialData, ProviderFactory } from '../../clients/factory.ts';
import { ContainerRegistrySchema, containerRegistryCrd, GROUP, VERSION } from '../../crds/index.ts';
import type { OperatorDeps } from '../../operator.ts';
import { Controller } from '../runtime/controller.ts';
import type { ResourceType } from '../runtime/resource.ts';
import { ContainerRegistryReconciler, type CredentialsReader } from './reconcile.ts';

/** The ContainerRegistry resource. */
export const CONTAINER_REGISTRY: ResourceType = {
  group: GROUP,
  version: VERSION,
  kind: containerRegistryCrd.kind,
  plural: containerRegistryCrd.plural,
};

/** Reads credentials Secrets directly (not cached: users' Secrets are not ours to watch wholesale). */
export function secretReader(core: CoreV1Api): CredentialsReader {
  return async (namespace, name) => {
    try {
      const secret = await core.readNamespacedSecret({ namespace, name });
      const data: CredentialData = {};
      for (const [k, v] of Object.entries(secret.data ?? {}))
        data[k] = Buffer.from(v, 'base64').toString('utf8');
      for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = v;
      return data;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  };
}

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
    namespaces: config.namespaces,
    workers: config.workers,
    reconcileTimeoutMs: config.reconcileTimeout,
    ...(config.shardSelector ? { labelSelector: config.shardSelector } : {}),
  }) as Controller;
}
