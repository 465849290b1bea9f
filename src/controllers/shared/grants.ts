/**
 * What a namespace may do with a ContainerRegistry of another namespace: the one module both
 * RegistryTokens and CleanupPolicies consult, before anything reaches the provider (ADR 016).
 *
 * spec.allowedNamespaces decides whether a namespace may use the registry at all; spec.grants
 * decide what it may ask for there. A namespace the registry lives in is never restricted: the
 * platform team owns it. Without spec.grants every admitted namespace gets {@link DEFAULT_GRANT}:
 * pull on its own path for up to 720h, nothing else.
 */

import type { ScopeAction } from '../../clients/provider.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import { durationMs } from '../../crds/duration.ts';
import {
  DEFAULT_GRANT_MAX_LIFETIME,
  DEFAULT_GRANT_REPOSITORIES,
  type Grant,
  NAMESPACE_PLACEHOLDER,
} from '../../crds/grants.ts';
import { admitReference, selectorMatches } from './allowed-namespaces.ts';

/** Condition reasons of a refusal by the registry. */
export const GrantReason = {
  /** The namespace may not use the registry at all (spec.allowedNamespaces). */
  RegistryNotAllowed: 'RegistryNotAllowed',
  /** A scope (repository or action) lies outside every grant. */
  ScopeNotGranted: 'ScopeNotGranted',
  /** The credential would live longer than the grants allow. */
  LifetimeNotGranted: 'LifetimeNotGranted',
  /** deletionPolicy: Retain is not granted. */
  RetainNotGranted: 'RetainNotGranted',
  /** CleanupPolicies (or this one's repositories, mode, deletions or schedule) are not granted. */
  CleanupNotGranted: 'CleanupNotGranted',
} as const;

/** Why the registry refuses: the condition reason and a message naming the field and the rule. */
export interface Refusal {
  reason: (typeof GrantReason)[keyof typeof GrantReason];
  message: string;
  /** What the platform team would change, for the operator's log; not shown to the referrer. */
  detail?: string;
}

/**
 * The one message a referrer in another namespace gets for a registry it may not use, whether the
 * registry is missing or refuses it: a tenant learns nothing about other namespaces from it.
 */
export function notAdmittedMessage(registry: { namespace: string; name: string }, namespace: string): string {
  return `ContainerRegistry ${registry.namespace}/${registry.name} does not exist or does not admit namespace ${namespace}`;
}

/** The grant a registry gives when spec.grants is unset: the narrow one. */
export const DEFAULT_GRANT: Grant = {
  repositories: DEFAULT_GRANT_REPOSITORIES,
  actions: ['pull'],
  maxLifetime: DEFAULT_GRANT_MAX_LIFETIME,
  allowRetain: false,
};

/**
 * Provider facts a grant check needs without asking the provider (../shared/providers/*.md):
 * Selectel and Quay cannot give push without delete (Selectel tokens are read-only or read-write;
 * a Quay "write" role on a repository also deletes tags), and Quay robot tokens never expire.
 */
const PROVIDER_TRAITS: Record<string, { pushMeansDelete: boolean; credentialsExpire: boolean }> = {
  ionos: { pushMeansDelete: false, credentialsExpire: true },
  selectel: { pushMeansDelete: true, credentialsExpire: true },
  quay: { pushMeansDelete: true, credentialsExpire: false },
};

/** A grant that applies to a namespace, with where it came from (for messages). */
export interface ApplicableGrant {
  grant: Grant;
  /** `spec.grants[2]`, or `the default grant (spec.grants unset)`. */
  source: string;
}

/** The grants as they apply to one namespace, or why none can. */
export type GrantsFor =
  | { kind: 'unrestricted' }
  | { kind: 'granted'; grants: ApplicableGrant[]; registry: string }
  | { kind: 'refused'; refusal: Refusal };

/**
 * The grants of `registry` for objects in `namespace`: unrestricted in the registry's own
 * namespace; refused when spec.allowedNamespaces does not admit it or no grant names it.
 */
export function grantsFor(
  registry: Pick<ContainerRegistry, 'metadata' | 'spec'>,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): GrantsFor {
  if (namespace === registry.metadata.namespace) return { kind: 'unrestricted' };
  const ref = `ContainerRegistry ${registry.metadata.namespace}/${registry.metadata.name}`;
  const admission = admitReference(registry, namespace, labels);
  if (!admission.allowed) {
    const key = { namespace: registry.metadata.namespace, name: registry.metadata.name };
    return {
      kind: 'refused',
      refusal: {
        reason: GrantReason.RegistryNotAllowed,
        message: notAdmittedMessage(key, namespace),
        detail: admission.message,
      },
    };
  }
  const declared = registry.spec.grants;
  if (declared === undefined)
    return {
      kind: 'granted',
      registry: ref,
      grants: [{ grant: DEFAULT_GRANT, source: 'the default grant (spec.grants unset)' }],
    };
  const grants = declared
    .map((grant, i) => ({ grant, source: `spec.grants[${i}]` }))
    .filter(({ grant }) => appliesTo(grant, namespace, labels));
  if (grants.length === 0) {
    return {
      kind: 'refused',
      refusal: {
        reason: GrantReason.RegistryNotAllowed,
        message: `no grant of ${ref} applies to namespace ${namespace} (spec.grants[].namespaces)`,
      },
    };
  }
  return { kind: 'granted', grants, registry: ref };
}

/** Whether a grant's namespace selection (names or selector; unset: all admitted) takes `namespace`. */
function appliesTo(grant: Grant, namespace: string, labels: Readonly<Record<string, string>>): boolean {
  const chosen = grant.namespaces;
  if (chosen === undefined) return true;
  if (chosen.names?.includes(namespace)) return true;
  return chosen.selector !== undefined && selectorMatches(chosen.selector, labels);
}

/** A grant pattern with `{namespace}` replaced by the asking namespace. */
export function expandPattern(pattern: string, namespace: string): string {
  return pattern.split(NAMESPACE_PLACEHOLDER).join(namespace);
}

/**
 * Whether every repository a scope pattern (`a/b`, `a/*`, `*`) can name lies within a grant
 * pattern of the same syntax: `*` holds everything, `a/*` everything below `a/` (also `a/*`
 * itself and `a/b/*`), an exact name only itself.
 */
export function scopeWithin(scope: string, granted: string): boolean {
  if (granted === '*') return true;
  if (scope === '*') return false;
  if (granted.endsWith('/*')) return scope.startsWith(granted.slice(0, -1));
  return scope === granted;
}

/**
 * Whether every repository a CleanupPolicy glob (`*` within a segment, `**` across, `?`) can
 * match lies within a grant pattern. Decided on the glob's literal prefix: a glob whose text
 * before its first wildcard starts with `a/` only matches names below `a/`. Conservative: a glob
 * that cannot be shown to stay inside is refused, never guessed.
 */
export function globWithin(glob: string, granted: string): boolean {
  if (granted === '*') return true;
  const wildcard = glob.search(/[*?]/);
  const literal = wildcard === -1 ? glob : glob.slice(0, wildcard);
  if (granted.endsWith('/*')) return literal.startsWith(granted.slice(0, -1));
  return wildcard === -1 && glob === granted;
}

/** The actions a scope really gives at this provider (push and delete come together on some). */
export function effectiveActions(provider: string, actions: readonly ScopeAction[]): ScopeAction[] {
  const out = new Set(actions);
  if (PROVIDER_TRAITS[provider]?.pushMeansDelete && (out.has('push') || out.has('delete'))) {
    out.add('push');
    out.add('delete');
  }
  return [...out].sort();
}

/** Whether credentials of this provider expire by themselves (else only rotation bounds their life). */
export function credentialsExpire(provider: string): boolean {
  return PROVIDER_TRAITS[provider]?.credentialsExpire ?? true;
}

/** How a list of grants reads in a refusal: what the asking namespace may do instead. */
export function describeGrants(grants: readonly ApplicableGrant[], namespace: string): string {
  return grants
    .map(
      ({ grant, source }) =>
        `${grant.actions.join(', ')} on ${grant.repositories.map((r) => expandPattern(r, namespace)).join(', ')} (${source})`,
    )
    .join('; ');
}

/** Milliseconds of a grant's maxLifetime. */
export function maxLifetimeMs(grant: Grant): number {
  return durationMs(grant.maxLifetime);
}
