import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { MANAGED_BY_LABEL } from '../../crds/token-parts.ts';
import { httpStatusOf } from '../runtime/outcome.ts';
import { failureMessage } from './service-accounts.ts';

/** Label on every copy: the RegistryToken's UID (copies cannot have cross-namespace ownerReferences). */
export const TOKEN_UID_LABEL = 'berth.dev/token-uid';

/** What the primary Secret holds, to be copied as it is. */
export interface SecretContent {
  /** The Secret's name, the same in every namespace. */
  name: string;
  /** The Secret type (kubernetes.io/dockerconfigjson). */
  type: string;
  /** The data, values base64-encoded as on the wire. */
  data: Record<string, string>;
  /** The user's labels (berth's own are added to every copy). */
  labels: Record<string, string>;
  /** The primary's annotations, its content-hash annotation included. */
  annotations: Record<string, string>;
}

/** How often a copy is re-read and written again after a 409 before giving up for this reconcile. */
const COPY_ATTEMPTS = 5;

/** Whether the Secret carries this token's UID label, which is what makes it ours to change. */
export function isOurs(secret: V1Secret, uid: string): boolean {
  return secret.metadata?.labels?.[TOKEN_UID_LABEL] === uid;
}

/**
 * Every Secret labelled with this token's UID, in all namespaces, or in `reach` only (namespaced
 * mode, where the operator may not list Secrets cluster-wide). One list instead of a read per
 * target namespace: in the steady state a reconcile then costs two lists and no writes.
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

/** The labels every copy must carry: the user's, then berth's own, which win. */
export function copyLabels(secret: SecretContent, uid: string): Record<string, string> {
  return { ...secret.labels, [MANAGED_BY_LABEL]: 'berth', [TOKEN_UID_LABEL]: uid };
}

/** Whether an existing copy already holds what it should (type, data, labels, annotations). */
function upToDate(existing: V1Secret, secret: SecretContent, labels: Record<string, string>): boolean {
  return (
    existing.type === secret.type &&
    sameEntries(existing.data, secret.data) &&
    sameEntries(existing.metadata?.labels, labels) &&
    sameEntries(existing.metadata?.annotations, secret.annotations)
  );
}

/** Two string maps with the same keys and values (undefined counts as empty). */
function sameEntries(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const left = Object.entries(a ?? {});
  return left.length === Object.keys(b).length && left.every(([k, v]) => Object.hasOwn(b, k) && b[k] === v);
}

/** A written (or already current) copy, or why the namespace was left alone. */
export type CopyOutcome = { served: true } | { served: false; problem: string };

/**
 * Makes the copy of `secret` in `namespace` current: created when absent, replaced in place (with
 * the resourceVersion read) when it differs, left alone when it is up to date. A same-named Secret
 * without this token's UID label is never touched, only reported. `existing` is our copy from
 * {@link listCopies}, if there was one.
 */
export async function writeCopy(
  core: CoreV1Api,
  namespace: string,
  secret: SecretContent,
  uid: string,
  existing: V1Secret | undefined,
): Promise<CopyOutcome> {
  const labels = copyLabels(secret, uid);
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
            metadata: { name, namespace, labels, annotations: secret.annotations },
            type: secret.type,
            data: secret.data,
          },
        });
        return { served: true };
      }
      if (!isOurs(current, uid)) return { served: false, problem: foreignProblem(current, name, namespace) };
      if (upToDate(current, secret, labels)) return { served: true };
      if (current.type !== secret.type) {
        // The type of a Secret is immutable; ours may be deleted and made again (the uid
        // precondition makes sure it is still the object we looked at).
        await deleteCopy(core, current);
        current = undefined;
        continue;
      }
      // Replace keeps the object's other metadata (finalizers, other tools' fields) but drops
      // managedFields so the API server keeps the live ones.
      const { managedFields: _, ...metadata } = current.metadata ?? {};
      await core.replaceNamespacedSecret({
        namespace,
        name,
        body: {
          ...current,
          metadata: { ...metadata, labels, annotations: secret.annotations },
          type: secret.type,
          data: secret.data,
        },
      });
      return { served: true };
    } catch (err) {
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
