import type { KubernetesObject } from '@kubernetes/client-node';

/** Which custom resource a controller manages. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
}

/** A custom object as the engine sees it: metadata plus an optional status record. */
export interface CustomObject extends KubernetesObject {
  spec?: unknown;
  status?: Record<string, unknown> | undefined;
}

/** `namespace/name`, the work-queue key of an object. */
export function keyOf(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/** Splits a work-queue key back into namespace and name; a key without `/` is a name alone. */
export function parseKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  if (slash < 0) return { namespace: '', name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** `apiVersion` of a resource type. */
export function apiVersionOf(type: ResourceType): string {
  return `${type.group}/${type.version}`;
}
