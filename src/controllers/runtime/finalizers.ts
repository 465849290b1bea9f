import { type CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { CustomObject, ResourceType } from './resource.ts';

/** The finalizer every berth controller puts on objects that own something outside the cluster. */
export const BERTH_FINALIZER = 'berth.dev/finalizer';

/** True when the object carries the finalizer. */
export function hasFinalizer(obj: CustomObject, finalizer = BERTH_FINALIZER): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

/** True once deletion was requested (the API server set deletionTimestamp). */
export function isBeingDeleted(obj: CustomObject): boolean {
  return obj.metadata?.deletionTimestamp !== undefined && obj.metadata.deletionTimestamp !== null;
}

async function patchFinalizers(
  api: CustomObjectsApi,
  type: ResourceType,
  obj: CustomObject,
  finalizers: string[],
  resourceVersion: string | undefined,
): Promise<string> {
  return mergePatchMetadata(api, type, obj, { finalizers, resourceVersion });
}

/**
 * A merge patch of the object's metadata; returns the new resourceVersion. With `resourceVersion`
 * in it the patch is a compare-and-swap: a concurrent change gives 409, and the controller retries
 * on fresh data instead of dropping someone else's finalizer or deciding on old data.
 */
async function mergePatchMetadata(
  api: CustomObjectsApi,
  type: ResourceType,
  obj: CustomObject,
  metadata: Record<string, unknown>,
): Promise<string> {
  const { namespace = '', name = '' } = obj.metadata ?? {};
  const written = (await api.patchNamespacedCustomObject(
    { group: type.group, version: type.version, plural: type.plural, namespace, name, body: { metadata } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as CustomObject | undefined;
  return written?.metadata?.resourceVersion ?? '';
}

/**
 * Adds the finalizer before anything is created outside the cluster, so a deletion can never
 * skip the clean-up. The write is conditional on `resourceVersion` (default: the object's).
 * Returns the new resourceVersion, or undefined when the finalizer was already there.
 */
export async function ensureFinalizer(
  api: CustomObjectsApi,
  type: ResourceType,
  obj: CustomObject,
  resourceVersion = obj.metadata?.resourceVersion,
  finalizer = BERTH_FINALIZER,
): Promise<string | undefined> {
  if (hasFinalizer(obj, finalizer)) return undefined;
  const finalizers = [...(obj.metadata?.finalizers ?? []), finalizer];
  return patchFinalizers(api, type, obj, finalizers, resourceVersion);
}

/**
 * Removes the finalizer once the external clean-up is confirmed; other finalizers stay. Returns
 * the new resourceVersion, or undefined when there was no finalizer to remove.
 */
export async function removeFinalizer(
  api: CustomObjectsApi,
  type: ResourceType,
  obj: CustomObject,
  resourceVersion = obj.metadata?.resourceVersion,
  finalizer = BERTH_FINALIZER,
): Promise<string | undefined> {
  if (!hasFinalizer(obj, finalizer)) return undefined;
  const finalizers = (obj.metadata?.finalizers ?? []).filter((f) => f !== finalizer);
  return patchFinalizers(api, type, obj, finalizers, resourceVersion);
}

/**
 * Merges annotations into the object's metadata and, with `finalizer`, makes sure the berth
 * finalizer is there, in one compare-and-swap merge patch. Returns the new resourceVersion.
 */
export async function patchMetadata(
  api: CustomObjectsApi,
  type: ResourceType,
  obj: CustomObject,
  change: { annotations: Record<string, string>; finalizer: boolean },
  resourceVersion = obj.metadata?.resourceVersion,
): Promise<string> {
  const finalizers =
    change.finalizer && !hasFinalizer(obj)
      ? [...(obj.metadata?.finalizers ?? []), BERTH_FINALIZER]
      : undefined;
  return mergePatchMetadata(api, type, obj, {
    annotations: change.annotations,
    ...(finalizers ? { finalizers } : {}),
    resourceVersion,
  });
}
