import type { DesiredRegistry } from '../../clients/provider.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';

/**
 * The provider-facing desired state of a ContainerRegistry: its provider block, and the name at
 * the provider (the block's name, else metadata.name; Quay: the organization). The CRD guarantees
 * that exactly the block of spec.provider is set.
 */
export function desiredOf(obj: ContainerRegistry): DesiredRegistry {
  const { spec, metadata } = obj;
  switch (spec.provider) {
    case 'ionos': {
      const settings = required(spec.ionos, 'ionos');
      return { provider: 'ionos', name: settings.name ?? metadata.name, settings };
    }
    case 'selectel': {
      const settings = required(spec.selectel, 'selectel');
      return { provider: 'selectel', name: settings.name ?? metadata.name, settings };
    }
    case 'quay': {
      const settings = required(spec.quay, 'quay');
      return { provider: 'quay', name: settings.organization, settings };
    }
  }
}

function required<T>(block: T | undefined, provider: string): T {
  // Unreachable for objects the API server validated; kept for objects stored before the CEL rule.
  if (block === undefined) throw new Error(`spec.${provider} must be set when spec.provider is ${provider}`);
  return block;
}

/**
 * The image reference prefix users see (status.endpoint), next to the docker login host
 * (status.server, the Secret's `auths` key). IONOS gives each registry its own host; Selectel
 * registries share one host and are its first path segment ("Image refs are
 * `cr.selcloud.ru/<registry-name>/<image>:<tag>`", shared/providers/selectel.md); Quay
 * organizations likewise.
 */
export function endpointOf(desired: DesiredRegistry, server: string | undefined): string | undefined {
  if (!server) return undefined;
  return desired.provider === 'ionos' ? server : `${server}/${desired.name}`;
}
