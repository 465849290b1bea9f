import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { MANAGED_BY_LABEL } from '../../crds/token-parts.ts';
import { httpStatusOf } from '../runtime/outcome.ts';
import { allowedEntries, type Consent } from './consent.ts';
import { SecretAnnotation } from './reasons.ts';
import { dataHashOf, isCached, metadataDigest, metadataDigestOf, TOKEN_UID_LABEL } from './secret-cache.ts';
import { failureMessage } from './service-accounts.ts';

export { TOKEN_UID_LABEL } from './secret-cache.ts';

/** What the primary Secret holds, to be copied. */
export interface SecretContent {
  /** The Secret's name, the same in every namespace. */
  name: string;
  /** The Secret type (kubernetes.io/dockerconfigjson). */
  type: string;
  /** {@link contentHash} of the data: copies are compared by it, so the cache needs no data. */
  dataHash: string;
  /** The data, values base64-encoded as on the wire: read (once) only when a copy is written. */
  data(): Promise<Record<string, string>>;
  /** The user's labels (spec.secret.labels); a copy carries those its namespace accepts. */
  labels: Record<string, string>;
  /** The user's annotations and berth's own; a copy carries berth's and those its namespace accepts. */
  annotations: Record<string, string>;
}

/** The labels and annotations one copy carries. */
export interface CopyMetadata {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** berth's own annotations of the primary, which every copy carries (content hash, credential). */
const OWN_ANNOTATIONS = new Set<string>(Object.values(SecretAnnotation));

/** How often a copy is re-read and written again after a 409 before giving up for this reconcile. */
const COPY_ATTEMPTS = 5;

/** Whether the Secret carries this token's UID label, which is what makes it ours to change. */
export function isOurs(secret: V1Secret, uid: string): boolean {
  return secret.metadata?.labels?.[TOKEN_UID_LABEL] === uid;
}

/**
 * Every Secret labelled with this token's UID, in all namespaces, or in `reach` only (namespaced
 * mode, where the operator may not list Secrets cluster-wide). For callers without the informer
 * cache (one-off calls and tests).
 */
export async function listCopies(
  core: CoreV1Api,
  uid: string,
  reach?: ReadonlySet<string>,
): Promise<V1Secret[]> {
  const labelSelector = `${TOKEN_UID_LABEL}=${uid}`;
  try {
    if (!reach) return (await core.listSecretForAllNamespaces({ labelSelector })).items;
    const lists = await Promise.all(
      [...reach].map((namespace) => core.listNamespacedSecret({ namespace, labelSelector })),
    );
    return lists.flatMap((l) => l.items);
  } catch (err) {
    throw new CopyError('list Secrets labelled with the RegistryToken’s UID', err);
  }
}

/**
 * What a copy in a namespace with this consent carries: berth's labels (managed-by, token UID),
 * berth's own annotations of the primary, and only those of the user's labels and annotations
 * that the namespace accepts (berth's own win over the user's).
 */
export function copyMetadata(secret: SecretContent, uid: string, consent: Consent): CopyMetadata {
  const own = Object.fromEntries(Object.entries(secret.annotations).filter(([k]) => OWN_ANNOTATIONS.has(k)));
  const user = Object.fromEntries(
    Object.entries(secret.annotations).filter(([k]) => !OWN_ANNOTATIONS.has(k)),
  );
  return {
    labels: {
      ...allowedEntries(secret.labels, consent.labels),
      [MANAGED_BY_LABEL]: 'berth',
      [TOKEN_UID_LABEL]: uid,
    },
    annotations: { ...allowedEntries(user, consent.annotations), ...own },
  };
}

/** berth's own annotations of a Secret (the cache keeps these), which every copy carries. */
export function ownAnnotationsOf(secret: V1Secret): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secret.metadata?.annotations ?? {}).filter(([k]) => OWN_ANNOTATIONS.has(k)),
  );
}

/**
 * Whether an existing copy already holds what it should: its type, the digest of its data and
 * that of its labels and annotations (from the cache, or computed from a live read).
 */
export function upToDate(existing: V1Secret, secret: SecretContent, metadata: CopyMetadata): boolean {
  return (
    existing.type === secret.type &&
    dataHashOf(existing) === secret.dataHash &&
    metadataDigestOf(existing) === metadataDigest(metadata.labels, metadata.annotations)
  );
}

/** A written (or already current) copy, or why the namespace was left alone. */
export type CopyOutcome = { served: true } | { served: false; problem: string };

/**
 * Makes the copy of `secret` in `namespace` current: created when absent, replaced in place (with
 * the resourceVersion read) when it differs, left alone when it is up to date. A same-named Secret
 * without this token's UID label is never touched, only reported. `existing` is our copy as the
 * cache (or {@link listCopies}) has it; a cached copy that differs is read live before it is
 * replaced, so the replace keeps other tools' metadata (the cache holds none) and a copy the cache
 * is behind on is not written twice.
 */
export async function writeCopy(
  core: CoreV1Api,
  namespace: string,
  secret: SecretContent,
  uid: string,
  existing: V1Secret | undefined,
  metadata: CopyMetadata,
): Promise<CopyOutcome> {
  const { labels, annotations } = metadata;
  const name = secret.name;
  let current = existing;
  for (let attempt = 1; attempt <= COPY_ATTEMPTS; attempt++) {
    try {
      if (current === undefined) {
        await core.createNamespacedSecret({
          namespace,
          body: {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name, namespace, labels, annotations },
            type: secret.type,
            data: await secret.data(),
          },
        });
        return { served: true };
      }
      if (!isOurs(current, uid)) return { served: false, problem: foreignProblem(current, name, namespace) };
      if (upToDate(current, secret, metadata)) return { served: true };
      if (isCached(current)) {
        current = await readSecret(core, namespace, name);
        continue;
      }
      if (current.type !== secret.type) {
        // The type of a Secret is immutable; ours may be deleted and made again (the uid
        // precondition makes sure it is still the object we looked at).
        await deleteCopy(core, current);
        current = undefined;
        continue;
      }
      // Replace keeps the object's other metadata (finalizers, other tools' fields) but drops
      // managedFields so the API server keeps the live ones.
      const { managedFields: _, ...live } = current.metadata ?? {};
      await core.replaceNamespacedSecret({
        namespace,
        name,
        body: {
          ...current,
          metadata: { ...live, labels, annotations },
          type: secret.type,
          data: await secret.data(),
        },
      });
      return { served: true };
    } catch (err) {
      if (err instanceof CopyError) throw err;
      const status = httpStatusOf(err);
      // 409 on create: someone's Secret of that name exists; 409 on replace: our read is stale;
      // 404 on replace: it was deleted meanwhile. All three: look again.
      if ((status === 409 || status === 404) && attempt < COPY_ATTEMPTS) {
        current = await readSecret(core, namespace, name);
        continue;
      }
      throw new CopyError(`write Secret ${name} in ${namespace}`, err);
    }
  }
  throw new CopyError(`write Secret ${name} in ${namespace}`, new Error('kept conflicting'));
}

/** The Secret, or undefined when it does not exist. */
async function readSecret(core: CoreV1Api, namespace: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ namespace, name });
  } catch (err) {
    if (httpStatusOf(err) === 404) return undefined;
    throw new CopyError(`read Secret ${name} in ${namespace}`, err);
  }
}

/**
 * Deletes one of our copies, only if it is still the object that was read (uid precondition).
 * Gone already, or replaced by another object (409), both count as done: the next reconcile looks
 * at whatever is there now.
 */
export async function deleteCopy(core: CoreV1Api, copy: V1Secret): Promise<void> {
  const namespace = copy.metadata?.namespace ?? '';
  const name = copy.metadata?.name ?? '';
  try {
    await core.deleteNamespacedSecret({
      namespace,
      name,
      body: { preconditions: { ...(copy.metadata?.uid ? { uid: copy.metadata.uid } : {}) } },
    });
  } catch (err) {
    const status = httpStatusOf(err);
    if (status === 404 || status === 409) return;
    throw new CopyError(`delete Secret ${name} in ${namespace}`, err);
  }
}

/** The problem text for a same-named Secret that this token does not own. */
function foreignProblem(found: V1Secret, name: string, namespace: string): string {
  return found.metadata?.labels?.[TOKEN_UID_LABEL] !== undefined
    ? `Secret ${name} in ${namespace} belongs to another RegistryToken; left alone`
    : `Secret ${name} in ${namespace} exists and is not managed by berth; left alone`;
}

/**
 * A failed Secret call, with the HTTP status but never client-node's message: that carries the
 * response body, which for a Secret may be the Secret. `code` is kept for the engine's 409 rule.
 */
export class CopyError extends Error {
  /** The HTTP status of the failed call, if there was one. */
  readonly code: number | undefined;

  constructor(what: string, cause: unknown) {
    super(failureMessage(what, cause));
    this.name = 'CopyError';
    this.code = httpStatusOf(cause);
  }
}
