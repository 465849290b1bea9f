import { isDeepStrictEqual } from 'node:util';
import { type CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { ResourceType } from './resource.ts';

/**
 * A JSON merge patch that turns `before` into `after` at the top level of status: changed keys
 * carry their new value, removed keys are set to null (a merge patch cannot delete otherwise).
 */
export function statusMergePatch(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(after)) {
    if (value !== undefined && !isDeepStrictEqual(before?.[key], value)) patch[key] = value;
  }
  for (const key of Object.keys(before ?? {})) {
    if (after[key] === undefined) patch[key] = null;
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

/**
 * Writes status through the status subresource only when it changed, so a reconcile that changes
 * nothing causes no write, no new resourceVersion and no watch event. With `resourceVersion` the
 * write is a compare-and-swap: if the object changed since that version (another writer, or a
 * reconcile that started from a stale cache) the API server answers 409 and nothing is written.
 * Returns the new resourceVersion, or undefined when there was nothing to write.
 */
export async function patchStatusIfChanged(
  api: CustomObjectsApi,
  type: ResourceType,
  target: { namespace: string; name: string },
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown>,
  resourceVersion?: string,
): Promise<string | undefined> {
  const patch = statusMergePatch(before, after);
  if (!patch) return undefined;
  const written = (await api.patchNamespacedCustomObjectStatus(
    {
      group: type.group,
      version: type.version,
      plural: type.plural,
      namespace: target.namespace,
      name: target.name,
      body: { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), status: patch },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as { metadata?: { resourceVersion?: string } } | undefined;
  return written?.metadata?.resourceVersion ?? '';
}
