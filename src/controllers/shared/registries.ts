import type { KubernetesObject } from '@kubernetes/client-node';
import { type ContainerRegistry, ContainerRegistrySchema } from '../../crds/container-registry.ts';
import { GROUP, VERSION } from '../../crds/index.ts';
import type { SecondaryCache, WatchSource } from '../runtime/controller.ts';
import type { RegistryReferrer } from './reference.ts';
import { CONTAINER_REGISTRY } from './resources.ts';

/** An object of a kind that refers to a ContainerRegistry (RegistryToken, CleanupPolicy). */
export interface Referring {
  metadata: { namespace: string; name: string };
  spec: { registryRef: RegistryReferrer['ref'] };
}

/**
 * A secondary watch of ContainerRegistries (in `namespaces`, or all), mapping a changed registry
 * to the objects that refer to it: a registry becoming Ready, or its allowedNamespaces and grants
 * changing, reconciles them at once, Stalled ones included (a widened grant is their way out).
 */
export function registriesWatch(
  namespaces: readonly string[],
  referrers: () => readonly Referring[],
): WatchSource {
  return {
    name: 'containerregistries',
    path: `/apis/${GROUP}/${VERSION}/${CONTAINER_REGISTRY.plural}`,
    namespaces,
    pathIn: (ns) => `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${CONTAINER_REGISTRY.plural}`,
    map: (obj: KubernetesObject) =>
      referrers()
        .filter(
          (o) =>
            o.spec.registryRef.name === obj.metadata?.name &&
            (o.spec.registryRef.namespace ?? o.metadata.namespace) === obj.metadata?.namespace,
        )
        .map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
  };
}

/**
 * A ContainerRegistry from the cache of {@link registriesWatch}, parsed once per cached version
 * (undefined when it does not exist or does not parse).
 */
export function cachedRegistries(
  cache: () => SecondaryCache,
): (namespace: string, name: string) => ContainerRegistry | undefined {
  const parsed = new WeakMap<object, ContainerRegistry | undefined>();
  return (namespace, name) => {
    const raw = cache().get(name, namespace);
    if (!raw) return undefined;
    if (!parsed.has(raw)) {
      const result = ContainerRegistrySchema.safeParse(raw);
      parsed.set(raw, result.success ? result.data : undefined);
    }
    return parsed.get(raw);
  };
}
