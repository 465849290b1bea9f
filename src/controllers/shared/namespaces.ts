import type { CoreV1Api, KubernetesObject, V1Namespace, V1ObjectMeta } from '@kubernetes/client-node';
import { boundRecord } from '../runtime/bounded.ts';
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

/** Labels a cached Namespace keeps: values are at most 63 characters; the count is bounded here. */
const LABEL_BOUNDS = { maxValue: 63, maxTotal: 8192 };

/** Annotations a cached Namespace keeps (only the ones asked for): each a list of up to a few hundred names. */
const ANNOTATION_BOUNDS = { maxValue: 8192, maxTotal: 32 * 1024 };

/**
 * What the Namespace cache keeps: name, uid, resourceVersion, deletionTimestamp, labels (bounded)
 * and only the annotations named in `keep` (bounded; a longer value becomes a digest, which
 * parses as no entry, so consent fails closed). Whoever may edit a Namespace chooses all of
 * these, and the cache must not grow with them.
 */
export function cacheNamespace(obj: KubernetesObject, keep: readonly string[] = []): KubernetesObject {
  const metadata = pickMetadata(obj.metadata, ['name', 'uid', 'resourceVersion', 'deletionTimestamp']);
  const labels = boundRecord(obj.metadata?.labels, LABEL_BOUNDS);
  if (labels) metadata.labels = labels;
  const wanted = Object.entries(obj.metadata?.annotations ?? {}).filter(([k]) => keep.includes(k));
  const annotations = boundRecord(Object.fromEntries(wanted), ANNOTATION_BOUNDS);
  if (annotations && Object.keys(annotations).length > 0) metadata.annotations = annotations;
  return { metadata };
}

/**
 * A secondary watch of Namespaces, kept to name and labels (and the annotations in `keep`): what
 * allowedNamespaces admission and distribution decide by. `affected` names the keys to reconcile
 * when one changes (a namespace labelled later admits the objects in it). Listed page by page
 * and streamed by the informer.
 */
export function namespacesWatch(
  _core: CoreV1Api,
  affected: (namespace: NamespaceView) => string[],
  keep: readonly string[] = [],
): WatchSource {
  return {
    name: 'namespaces',
    path: '/api/v1/namespaces',
    transform: (obj: KubernetesObject) => cacheNamespace(obj, keep),
    map: (obj) => affected({ name: obj.metadata?.name ?? '', labels: obj.metadata?.labels ?? {} }),
  };
}

/**
 * A namespace's labels from the cache of {@link namespacesWatch}, instead of a GET per reconcile;
 * undefined for a namespace the cache has not heard of yet, which is not a refusal: the reconcile
 * waits, and the namespace's event reconciles it again when it arrives.
 */
export function cachedNamespaceLabels(
  cache: () => SecondaryCache,
): (name: string) => Promise<Record<string, string> | undefined> {
  return async (name) => {
    const namespace = cache().get(name) as V1Namespace | undefined;
    return namespace && (namespace.metadata?.labels ?? {});
  };
}
