import type { Provider, ProviderFactory, TokenRegistry } from '../../clients/provider.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import { WaitingError } from '../runtime/outcome.ts';
import type { CredentialsReader } from './credentials.ts';
import { desiredOf } from './desired.ts';
import { grantsFor, notAdmittedMessage } from './grants.ts';
import { CREDENTIALS_RETRY_MS, credentialsOf, providerCall } from './provider-errors.ts';

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
  /** A namespace's labels; undefined while the namespace is unknown (not in the cache yet). */
  namespaceLabels: (namespace: string) => Promise<Record<string, string> | undefined>;
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

/** A referenced registry that exists, and the labels of the referrer's namespace (what grants decide by). */
export interface FoundRegistry {
  registry: ContainerRegistry;
  /** Labels of the referrer's namespace. */
  labels: Record<string, string>;
}

/**
 * The ContainerRegistry a RegistryToken or CleanupPolicy refers to, if it exists, with the labels
 * of the referrer's namespace. Whether the referrer may use it is the grants' question
 * (grants.ts), asked next; whether it is Ready comes after that ({@link requireReady}), so that a
 * referrer in another namespace learns nothing about a registry that does not admit it: missing
 * and refusing read the same.
 */
export async function findRegistry(deps: ReferenceDeps, referrer: RegistryReferrer): Promise<FoundRegistry> {
  const key = referencedKey(referrer);
  const registry = await deps.getRegistry(key.namespace, key.name);
  if (!registry) {
    if (key.namespace !== referrer.namespace)
      throw new WaitingError(
        ReferenceReason.RegistryNotAllowed,
        notAdmittedMessage(key, referrer.namespace),
        60_000,
      );
    throw new WaitingError(
      ReferenceReason.RegistryNotFound,
      `ContainerRegistry ${key.namespace}/${key.name} does not exist`,
      15_000,
    );
  }
  const labels = await deps.namespaceLabels(referrer.namespace);
  if (labels === undefined) {
    // Not refused: the Namespace watch has not delivered this namespace yet, and will requeue.
    throw new WaitingError(
      ReferenceReason.RegistryNotReady,
      `namespace ${referrer.namespace} is not known to berth yet`,
      5_000,
    );
  }
  return { registry, labels };
}

/** Throws RegistryNotReady unless the registry is Ready with its provider ID and docker server known. */
export function requireReady(registry: ContainerRegistry): void {
  const ready = registry.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  if (!ready || !registry.status?.externalId || !registry.status.server) {
    throw new WaitingError(
      ReferenceReason.RegistryNotReady,
      `ContainerRegistry ${registry.metadata.namespace}/${registry.metadata.name} is not Ready yet`,
      10_000,
    );
  }
}

/**
 * The registry, once the referrer's namespace is admitted to it at all (spec.allowedNamespaces)
 * and it is Ready: for callers whose spec the grants do not judge further. A refusal waits (and
 * is retried), so a fix takes effect by itself.
 */
export async function resolveRegistry(
  deps: ReferenceDeps,
  referrer: RegistryReferrer,
): Promise<ContainerRegistry> {
  const { registry, labels } = await findRegistry(deps, referrer);
  const granted = grantsFor(registry, referrer.namespace, labels);
  if (granted.kind === 'refused')
    throw new WaitingError(granted.refusal.reason, granted.refusal.message, 60_000);
  requireReady(registry);
  return registry;
}

/**
 * The provider of a Ready registry, built from its credentials Secret, and the registry as the
 * provider sees it. `credentialsSecret` is what messages call the credentials: the Secret's name
 * for objects in the registry's namespace, a phrase without it for a referrer elsewhere.
 */
export async function providerOf(
  deps: ReferenceDeps,
  registry: ContainerRegistry,
  referrerNamespace: string = registry.metadata.namespace,
): Promise<{ provider: Provider; registry: TokenRegistry; credentialsSecret: string }> {
  const desired = desiredOf(registry);
  const { namespace, name } = registry.metadata;
  const secret = registry.spec.credentialsRef.name;
  const credentialsSecret = credentialsOf({ namespace, name, secret }, referrerNamespace);
  const data = await deps.readCredentials(namespace, secret);
  if (!data) {
    throw new WaitingError(
      ReferenceReason.CredentialsNotFound,
      namespace === referrerNamespace
        ? `Secret ${secret} of ContainerRegistry ${namespace}/${name} does not exist`
        : `ContainerRegistry ${namespace}/${name} has no provider credentials yet`,
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
