import type { V1Namespace, V1Secret } from '@kubernetes/client-node';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import { MANAGED_BY_LABEL } from '../../crds/token-parts.ts';
import type { TokenReads } from './cache-ports.ts';
import { TOKEN_UID_LABEL } from './secret-cache.ts';

/**
 * {@link TokenReads} over plain collections, for unit tests of the reconciler: what the informer
 * caches would hold. `secrets` may be the same Map a fake API writes into, so reads see writes.
 */
export function memoryReads(world: {
  registries?: ContainerRegistry[];
  namespaces?: V1Namespace[];
  /** Keyed `namespace/name`. */
  secrets?: Map<string, V1Secret>;
}): TokenReads {
  const secrets = world.secrets ?? new Map<string, V1Secret>();
  return {
    registry: (namespace, name) =>
      world.registries?.find((r) => r.metadata.namespace === namespace && r.metadata.name === name),
    namespaceLabels: (name) =>
      world.namespaces?.find((n) => n.metadata?.name === name)?.metadata?.labels ?? undefined,
    namespaces: () => world.namespaces ?? [],
    // The informer holds only berth's Secrets (label-selected); someone else's is not in it.
    secret: async (namespace, name) => {
      const found = secrets.get(`${namespace}/${name}`);
      return found?.metadata?.labels?.[MANAGED_BY_LABEL] === 'berth' ? found : undefined;
    },
    pullSecretsOf: () => undefined,
    attachedTo: () => [],
    copies: (uid) => [...secrets.values()].filter((s) => s.metadata?.labels?.[TOKEN_UID_LABEL] === uid),
    wroteSecret: () => undefined,
  };
}
