/**
 * Annotations on a Namespace by which its owners consent to distribution into it (ADR 015). Who
 * may edit a Namespace is who owns it; no copy, ServiceAccount entry, label or annotation goes
 * into a namespace that did not say so.
 */
export const ConsentAnnotation = {
  /** `<namespace>`, `<namespace>/<registrytoken>` or `*`, comma-separated: whose copies are taken. */
  CopiesFrom: 'berth.dev/accept-copies-from',
  /** ServiceAccount names (or `*`), comma-separated, that berth may add a copy to. */
  ServiceAccounts: 'berth.dev/accept-service-accounts',
  /** Label keys (or `prefix/*`), comma-separated, that copies may carry from spec.secret.labels. */
  CopyLabels: 'berth.dev/accept-copy-labels',
  /** Annotation keys (or `prefix/*`), comma-separated, that copies may carry from spec.secret.annotations. */
  CopyAnnotations: 'berth.dev/accept-copy-annotations',
} as const;

/** Every consent annotation, for caches that keep only these of a Namespace's annotations. */
export const CONSENT_ANNOTATIONS: readonly string[] = Object.values(ConsentAnnotation);

/** Most entries read from one consent annotation; the rest are ignored. */
const MAX_ENTRIES = 256;

/** What a namespace accepts, parsed from its annotations. */
export interface Consent {
  copiesFrom: readonly string[];
  serviceAccounts: readonly string[];
  labels: readonly string[];
  annotations: readonly string[];
}

/** The entries of a comma-separated list: trimmed, empty ones left out, at most {@link MAX_ENTRIES}. */
export function parseList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0)
    .slice(0, MAX_ENTRIES);
}

/** A namespace's consent from its annotations; no annotation means nothing is accepted. */
export function consentOf(annotations: Readonly<Record<string, string>> | undefined): Consent {
  return {
    copiesFrom: parseList(annotations?.[ConsentAnnotation.CopiesFrom]),
    serviceAccounts: parseList(annotations?.[ConsentAnnotation.ServiceAccounts]),
    labels: parseList(annotations?.[ConsentAnnotation.CopyLabels]),
    annotations: parseList(annotations?.[ConsentAnnotation.CopyAnnotations]),
  };
}

/** Whether the namespace takes copies from this RegistryToken: `*`, its namespace, or namespace/name. */
export function acceptsCopiesFrom(consent: Consent, token: { namespace: string; name: string }): boolean {
  return consent.copiesFrom.some(
    (e) => e === '*' || e === token.namespace || e === `${token.namespace}/${token.name}`,
  );
}

/** Whether berth may add a copy to this ServiceAccount in the namespace: named, or `*`. */
export function acceptsServiceAccount(consent: Consent, name: string): boolean {
  return consent.serviceAccounts.some((e) => e === '*' || e === name);
}

/** Whether a key is allowed by a list of keys and `prefix/*` entries. */
export function keyAllowed(patterns: readonly string[], key: string): boolean {
  return patterns.some((p) => (p.endsWith('/*') ? key.startsWith(p.slice(0, -1)) : p === key));
}

/** The entries of `record` whose keys `patterns` allow. */
export function allowedEntries(
  record: Readonly<Record<string, string>>,
  patterns: readonly string[],
): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => keyAllowed(patterns, k)));
}

/** The problem line for a target that has not consented: names the annotation, nothing about the namespace. */
export function copiesRefused(namespace: string, token: { namespace: string; name: string }): string {
  return (
    `namespace ${namespace} takes no copy until its annotation ${ConsentAnnotation.CopiesFrom} ` +
    `lists ${token.namespace} or ${token.namespace}/${token.name}`
  );
}

/** The problem line for ServiceAccounts a consenting target does not accept entries on. */
export function serviceAccountsRefused(namespace: string, names: readonly string[]): string {
  return (
    `namespace ${namespace} takes the copy but no imagePullSecrets entry on ServiceAccount ` +
    `${names.join(', ')} until its annotation ${ConsentAnnotation.ServiceAccounts} lists it`
  );
}
