import { kindOf } from '../kinds.ts';
import type { BerthObject } from '../objects.ts';
import { conditionOf, healthOf } from '../state.ts';

/** The ContainerRegistry a token or policy uses, namespace filled in. */
export function registryRefOf(obj: BerthObject): { namespace: string; name: string } | undefined {
  const r = obj.spec.registryRef as { name?: string; namespace?: string } | undefined;
  if (!r?.name) return undefined;
  return { namespace: r.namespace ?? obj.metadata.namespace, name: r.name };
}

const ref = (obj: BerthObject) => {
  const r = registryRefOf(obj);
  return r ? `${r.namespace}/${r.name}` : '(none)';
};

/** What to change for a Stalled object, by reason: berth will not try again until something changes. */
function stalledAdvice(obj: BerthObject, reason: string): string {
  const k = kindOf(obj.kind);
  switch (reason) {
    case 'InvalidSpec':
      return `the spec is invalid: fix the field the message names (kubectl edit ${k.singular} ${obj.metadata.name}); kubectl explain ${k.plural}.spec documents every field`;
    case 'CapabilityNotSupported':
      return obj.kind === 'RegistryToken'
        ? 'the provider cannot do what the spec asks: use renewal: Rotate (only Selectel and IONOS can extend a credential)'
        : obj.kind === 'CleanupPolicy'
          ? 'the provider cannot do what the spec asks: use mode: Operator, or a provider with that capability'
          : 'the provider cannot do what the spec asks: change the spec as the message says';
    case 'SecretConflict': {
      const secret = ((obj.spec.secret ?? {}) as { name?: string }).name ?? obj.metadata.name;
      return `a Secret named ${secret} exists that berth did not write: delete or rename it, or set spec.secret.name to a free name`;
    }
    case 'AlreadyExists':
      return 'a registry of that name exists at the provider and berth did not create it: set spec.adoptionPolicy: Adopt to manage it, or choose another name';
    case 'ProviderRejected':
      return 'the provider refused the settings: correct the field the message names';
    case 'RegistryFailed':
      return 'the provider reports the registry as failed, which needs its support; berth looks again every observeInterval and turns Ready by itself once it runs again';
    case 'ScopeNotGranted':
    case 'LifetimeNotGranted':
    case 'RetainNotGranted':
    case 'CleanupNotGranted':
      return `ContainerRegistry ${ref(obj)} does not grant what the spec asks (the message names the field and what is granted): ask for less, or ask its owners to widen spec.grants; berth tries again as soon as either changes`;
    case 'RegistryNotAllowed':
      return `ContainerRegistry ${ref(obj)} does not exist or does not admit namespace ${obj.metadata.namespace}: correct spec.registryRef, or ask the registry's owners to admit the namespace (spec.allowedNamespaces)`;
    default:
      return 'fix what the message says, then change the object';
  }
}

/** What to do about an object that is not Ready yet, for the reasons that have a known remedy. */
function waitingAdvice(obj: BerthObject, reason: string): string | undefined {
  const credentials = ((obj.spec.credentialsRef ?? {}) as { name?: string }).name ?? '?';
  switch (reason) {
    case 'AuthenticationFailed':
      return `the provider refused the credentials: fix Secret ${obj.metadata.namespace}/${credentials}; berth tries again every 30s`;
    case 'CredentialsNotFound':
      return `create Secret ${obj.metadata.namespace}/${credentials} with the provider's API credentials (docs/container-registry.md); berth tries again every 30s`;
    case 'RegistryNotFound':
      return `ContainerRegistry ${ref(obj)} does not exist: create it or correct spec.registryRef`;
    case 'RegistryNotReady': {
      const r = registryRefOf(obj);
      const ns = r && r.namespace !== obj.metadata.namespace ? ` -n ${r.namespace}` : '';
      return `waiting for ContainerRegistry ${ref(obj)}; berth explain creg/${r?.name ?? ''}${ns} says why it is not Ready`;
    }
    case 'RegistryNotAllowed':
    case 'ScopeNotGranted':
    case 'LifetimeNotGranted':
    case 'RetainNotGranted':
      return obj.status?.refusedAt
        ? `ContainerRegistry ${ref(obj)} no longer admits this ${kindOf(obj.kind).singular} as it is: unless that changes, berth revokes its credentials and deletes its Secret and copies at the time the message says`
        : `ContainerRegistry ${ref(obj)} does not exist or does not admit namespace ${obj.metadata.namespace}: correct spec.registryRef, or ask the registry's owners to admit the namespace (spec.allowedNamespaces)`;
    case 'NoAccess':
      return 'the credential reaches none of spec.scopes (on Quay: a pull scope whose repository does not exist yet, or a pattern that matches none): push the repository, or correct spec.scopes; berth looks again within seconds, then less often';
    case 'Throttled':
      return 'a request (rotation, repair, scope edit or cleanup run) waits for its budget, per object and per namespace (docs/security.md); berth carries it out when the message says';
    case 'Provisioning':
      return 'the provider is still creating the registry; nothing to do';
    case 'RateLimited':
      return 'the provider asked berth to slow down; berth waits as long as it was told';
    case 'NotObserved':
      return 'the operator has not written any status: is it running, and does it watch this namespace? (berth check)';
    case 'ProgressingWithRetry':
    case 'ProviderError':
    case 'Failed':
      return 'berth retries with backoff (1s, doubling up to 5m); the events show each failure';
    default:
      return undefined;
  }
}

/** What a person should change or know, or nothing for a Ready object. */
export function adviceFor(obj: BerthObject): string[] {
  const health = healthOf(obj);
  if (health === 'Ready') return [];
  const k = kindOf(obj.kind);
  if (health === 'Stalled') {
    const reason = conditionOf(obj, 'Stalled')?.reason ?? '';
    const out = [stalledAdvice(obj, reason)];
    if (reason !== 'RegistryFailed') {
      out.push(
        'Stalled: berth does not try again until the object changes. After fixing something outside its spec, ask for one more try: ' +
          `kubectl annotate ${k.singular} ${obj.metadata.name} -n ${obj.metadata.namespace} berth.dev/reconcile-requested-at="$(date -Is)" --overwrite`,
      );
    }
    return out;
  }
  const reason = conditionOf(obj, 'Ready')?.reason ?? (obj.status?.conditions ? '' : 'NotObserved');
  const advice = waitingAdvice(obj, reason);
  return advice ? [advice] : [];
}
