import type { z } from 'zod';
import type { IssuingRegistrySchema } from '../../crds/common.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';

/** Where berth created something at a provider (status.registry of tokens and Native policies). */
export type IssuingRegistry = z.infer<typeof IssuingRegistrySchema>;

/** The status.registry record of a registry: where what is created now lives. */
export function issuingRegistry(registry: ContainerRegistry): IssuingRegistry {
  return {
    namespace: registry.metadata.namespace,
    name: registry.metadata.name,
    ...(registry.metadata.uid ? { uid: registry.metadata.uid } : {}),
    provider: registry.spec.provider,
    ...(registry.status?.externalId ? { externalId: registry.status.externalId } : {}),
  };
}

/**
 * Whether the registry object now stands for another registry at the provider than the recorded
 * one (deleted and made again elsewhere): what was created at the old one cannot be reached
 * through it. The same provider registry under a new object (adopted again) is not a replacement.
 */
export function replacedRegistry(recorded: IssuingRegistry, registry: ContainerRegistry): boolean {
  if (recorded.provider !== undefined && recorded.provider !== registry.spec.provider) return true;
  const now = registry.status?.externalId;
  return recorded.externalId !== undefined && now !== undefined && recorded.externalId !== now;
}
