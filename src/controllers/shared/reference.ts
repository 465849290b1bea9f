import type { Provider, ProviderFactory, TokenRegistry } from '../../clients/provider.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import { WaitingError } from '../runtime/outcome.ts';
import { admitReference } from './allowed-namespaces.ts';
import type { CredentialsReader } from './credentials.ts';
import { desiredOf } from './desired.ts';
import { CREDENTIALS_RETRY_MS, providerCall } from './provider-errors.ts';

/** Reasons for a reference to a ContainerRegistry that cannot be used (yet). */
export const ReferenceReason = {
  RegistryNotFound: 'RegistryNotFound',
  RegistryNotReady: 'RegistryNotReady',
  RegistryNotAllowed: 'RegistryNotAllowed',
  CredentialsNotFound: 'CredentialsNotFound',
} as const;

/** What resolving a registry reference needs. */
export interface ReferenceDeps {
  getRegistry: (namespace: string, name: string) => Promise<ContainerRegistry | undefined>;
  namespaceLabels: (namespace: string) => Promise<Record<string, string>>;
  providers: ProviderFactory;
  readCredentials: CredentialsReader;
}

/** A referencing object's view: where it lives and what it points at. */
export interface RegistryReferrer {
  namespace: string;
  ref: { name: string; namespace?: string | undefined };
}

/** The registry's namespace and name as referenced. */
export function referencedKey(referrer: RegistryReferrer): { namespace: string; name: string } {
  return { namespace: referrer.ref.namespace ?? referrer.namespace, name: referrer.ref.name };
}

/**
 * The ContainerRegistry a RegistryToken or CleanupPolicy refers to, once it may be used: it
 * exists, admits the referrer's namespace (spec.allowedNamespaces), and is Ready. Otherwise a
 * WaitingError with a message that says what is missing, retried so a fix takes effect by itself.
 */
export async function resolveRegistry(
  deps: ReferenceDeps,
  referrer: RegistryReferrer,
  options: { skipAdmission?: boolean } = {},
): Promise<ContainerRegistry> {
  const { namespace, name } = referencedKey(referrer);
  const registry = await deps.getRegistry(namespace, name);
  if (!registry) {
    throw new WaitingError(
      ReferenceReason.RegistryNotFound,
      `ContainerRegistry ${namespace}/${name} does not exist`,
      15_000,
    );
  }
  if (namespace !== referrer.namespace && !options.skipAdmission) {
    const admission = admitReference(
      registry,
      referrer.namespace,
      await deps.namespaceLabels(referrer.namespace),
    );
    if (!admission.allowed)
      throw new WaitingError(ReferenceReason.RegistryNotAllowed, admission.message, 60_000);
  }
  const ready = registry.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  if (!ready || !registry.status?.externalId || !registry.status.server) {
    throw new WaitingError(
      ReferenceReason.RegistryNotReady,
      `ContainerRegistry ${namespace}/${name} is not Ready yet`,
      10_000,
    );
  }
  return registry;
}

/** The provider of a Ready registry, built from its credentials Secret, and the registry as the provider sees it. */
export async function providerOf(
  deps: ReferenceDeps,
  registry: ContainerRegistry,
): Promise<{ provider: Provider; registry: TokenRegistry; credentialsSecret: string }> {
  const desired = desiredOf(registry);
  const credentialsSecret = registry.spec.credentialsRef.name;
  const data = await deps.readCredentials(registry.metadata.namespace, credentialsSecret);
  if (!data) {
    throw new WaitingError(
      ReferenceReason.CredentialsNotFound,
      `Secret ${credentialsSecret} of ContainerRegistry ${registry.metadata.namespace}/${registry.metadata.name} does not exist`,
      CREDENTIALS_RETRY_MS,
    );
  }
  const provider = await providerCall(credentialsSecret, async () => deps.providers(desired, data));
  return {
    provider,
    credentialsSecret,
    registry: {
      externalId: registry.status?.externalId ?? '',
      name: registry.status?.registryName ?? desired.name,
      server: registry.status?.server ?? '',
      desired,
    },
  };
}
