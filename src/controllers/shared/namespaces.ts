import type { CoreV1Api, KubernetesObject, V1Namespace, V1ObjectMeta } from '@kubernetes/client-node';
import type { SecondaryCache, WatchSource } from '../runtime/controller.ts';

/** The named fields of an object's metadata, for caches that keep no more than they need. */
export function pickMetadata(
  metadata: V1ObjectMeta | undefined,
  fields: readonly (keyof V1ObjectMeta)[],
): V1ObjectMeta {
  const kept: V1ObjectMeta = {};
  for (const field of fields)
    if (metadata?.[field] !== undefined) Object.assign(kept, { [field]: metadata[field] });
  return kept;
}

/** A namespace as admission and distribution see it. */
export interface NamespaceView {
  name: string;
  labels: Record<string, string>;
}

/**
 * A secondary watch of Namespaces, kept to name and labels: what allowedNamespaces admission and
 * distribution decide by. `affected` names the keys to reconcile when one changes (a namespace
 * labelled later admits the objects in it).
 */
export function namespacesWatch(
  core: CoreV1Api,
  affected: (namespace: NamespaceView) => string[],
): WatchSource {
  return {
    name: 'namespaces',
    path: '/api/v1/namespaces',
    list: () => core.listNamespace(),
    transform: (obj: KubernetesObject) => ({
      metadata: pickMetadata(obj.metadata, ['name', 'uid', 'resourceVersion', 'labels', 'deletionTimestamp']),
    }),
    map: (obj) => affected({ name: obj.metadata?.name ?? '', labels: obj.metadata?.labels ?? {} }),
  };
}

/**
 * A namespace's labels from the cache of {@link namespacesWatch}, instead of a GET per reconcile.
 * A namespace the cache has not heard of yet reads as unlabelled: admission then waits (and
 * retries), and the namespace's event reconciles again when it arrives.
 */
export function cachedNamespaceLabels(
  cache: () => SecondaryCache,
): (name: string) => Promise<Record<string, string>> {
  return async (name) => (cache().get(name) as V1Namespace | undefined)?.metadata?.labels ?? {};
}
