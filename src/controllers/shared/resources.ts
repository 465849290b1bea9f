import type { CustomObjectsApi } from '@kubernetes/client-node';
import {
  type ContainerRegistry,
  ContainerRegistrySchema,
  containerRegistryCrd,
  GROUP,
  VERSION,
} from '../../crds/index.ts';
import type { ResourceType } from '../runtime/resource.ts';

/** The ContainerRegistry resource. */
export const CONTAINER_REGISTRY: ResourceType = {
  group: GROUP,
  version: VERSION,
  kind: containerRegistryCrd.kind,
  plural: containerRegistryCrd.plural,
};

/** Reads and parses a ContainerRegistry; undefined when it does not exist (or does not parse). */
export async function getRegistry(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
): Promise<ContainerRegistry | undefined> {
  try {
    const raw = await custom.getNamespacedCustomObject({ ...CONTAINER_REGISTRY, namespace, name });
    const parsed = ContainerRegistrySchema.safeParse(raw);
    return parsed.success ? parsed.data : undefined;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}
