import type {
  CoreV1Api,
  KubernetesObject,
  V1LocalObjectReference,
  V1ObjectMeta,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { httpStatusOf } from '../runtime/outcome.ts';

/**
 * How often a read-modify-write of a ServiceAccount is tried before giving up. Each 409 means
 * someone else wrote the ServiceAccount between our read and our write; five in a row only happens
 * under a hot loop elsewhere, and the controller's backoff is the better answer then.
 */
export const SERVICE_ACCOUNT_ATTEMPTS = 5;

/** What became of one ServiceAccount: it lists the Secret, it does not, or it does not exist. */
export type ServiceAccountOutcome = 'listed' | 'unlisted' | 'missing';

/**
 * Annotation on a ServiceAccount: the imagePullSecrets entries berth added, comma-separated. Only
 * these are ever removed again; an entry that was there before berth came is never recorded, so a
 * RegistryToken whose Secret is renamed to another team's pull secret cannot take that team's
 * entry away (issue 18, item 3).
 */
export const ATTACHED_ANNOTATION = 'berth.dev/attached-pull-secrets';

/** The Secret names in an {@link ATTACHED_ANNOTATION} value. */
export function attachedNames(value: string | undefined): string[] {
  return [
    ...new Set(
      (value ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    ),
  ];
}

/** A ServiceAccount's pull secrets and berth's record of the ones it added. */
export interface PullSecretState {
  entries: readonly V1LocalObjectReference[];
  attached: readonly string[];
}

/**
 * Attaching `secretName`: appended and recorded when absent; an entry already there (someone
 * else's) is left unrecorded. Undefined: nothing to write.
 */
export function planAttach(state: PullSecretState, secretName: string): PullSecretState | undefined {
  if (state.entries.some((e) => e.name === secretName)) return undefined;
  return {
    entries: [...state.entries, { name: secretName }],
    attached: [...state.attached.filter((n) => n !== secretName), secretName],
  };
}

/**
 * Detaching `secretName`: removed (every entry of that name) only when berth's record says berth
 * added it, and taken off the record in the same write. Undefined: nothing to write.
 */
export function planDetach(state: PullSecretState, secretName: string): PullSecretState | undefined {
  if (!state.attached.includes(secretName)) return undefined;
  return {
    entries: state.entries.filter((e) => e.name !== secretName),
    attached: state.attached.filter((n) => n !== secretName),
  };
}

/**
 * Appends `{name: secretName}` to the ServiceAccount's imagePullSecrets unless it is already
 * there, and records it in {@link ATTACHED_ANNOTATION} in the same write. Read-modify-write with
 * the read resourceVersion, never server-side apply: imagePullSecrets is `+listType=atomic`, so an
 * apply would take ownership of the whole list and a later apply by its real owner would drop our
 * entry, or ours would drop theirs (peers.md §3). Other entries keep their order. A missing
 * ServiceAccount is not an error: the controller watches ServiceAccounts and comes back when it
 * appears.
 */
export async function attachPullSecret(
  core: CoreV1Api,
  namespace: string,
  name: string,
  secretName: string,
): Promise<ServiceAccountOutcome> {
  return modifyServiceAccount(core, namespace, name, (state) => planAttach(state, secretName)).then((r) =>
    r === 'missing' ? r : 'listed',
  );
}

/**
 * Removes `{name: secretName}` from the ServiceAccount's imagePullSecrets if berth's record says
 * berth added it, leaving the other entries as they are and in their order. Used when a copy (or
 * the whole RegistryToken) goes away, or a namespace no longer accepts the entry: a reference to
 * a deleted Secret makes the kubelet warn on every pull.
 */
export async function detachPullSecret(
  core: CoreV1Api,
  namespace: string,
  name: string,
  secretName: string,
): Promise<ServiceAccountOutcome> {
  return modifyServiceAccount(core, namespace, name, (state) => planDetach(state, secretName)).then((r) =>
    r === 'missing' ? r : 'unlisted',
  );
}

/**
 * Reads the ServiceAccount, lets `change` compute its new imagePullSecrets and record (undefined:
 * nothing to do) and replaces it with the resourceVersion it read, re-reading on 409.
 */
async function modifyServiceAccount(
  core: CoreV1Api,
  namespace: string,
  name: string,
  change: (state: PullSecretState) => PullSecretState | undefined,
): Promise<'unchanged' | 'written' | 'missing'> {
  for (let attempt = 1; ; attempt++) {
    let sa: V1ServiceAccount;
    try {
      sa = await core.readNamespacedServiceAccount({ namespace, name });
    } catch (err) {
      if (httpStatusOf(err) === 404) return 'missing';
      throw new ServiceAccountError(namespace, name, 'read', err);
    }
    const next = change({
      entries: sa.imagePullSecrets ?? [],
      attached: attachedNames(sa.metadata?.annotations?.[ATTACHED_ANNOTATION]),
    });
    if (next === undefined) return 'unchanged';
    // managedFields left out: on an update the API server then keeps the live ones, instead of
    // taking ours as a request to reset them.
    const { managedFields: _, ...metadata } = sa.metadata ?? {};
    const annotations = { ...(metadata.annotations ?? {}) };
    if (next.attached.length > 0) annotations[ATTACHED_ANNOTATION] = next.attached.join(',');
    else delete annotations[ATTACHED_ANNOTATION];
    const body: V1ServiceAccount = {
      ...sa,
      metadata: { ...metadata, annotations },
      imagePullSecrets: [...next.entries],
    };
    if (next.entries.length === 0) delete body.imagePullSecrets;
    try {
      await core.replaceNamespacedServiceAccount({ namespace, name, body });
      return 'written';
    } catch (err) {
      const status = httpStatusOf(err);
      if (status === 404) return 'missing';
      if (status === 409 && attempt < SERVICE_ACCOUNT_ATTEMPTS) continue;
      throw new ServiceAccountError(namespace, name, 'update', err);
    }
  }
}

/**
 * A failed ServiceAccount read or write, with the HTTP status but not client-node's message (which
 * carries the response body). `code` is kept so the engine treats a 409 as a quiet retry.
 */
export class ServiceAccountError extends Error {
  /** The HTTP status of the failed call, if there was one. */
  readonly code: number | undefined;

  constructor(namespace: string, name: string, verb: 'read' | 'update', cause: unknown) {
    super(failureMessage(`${verb} ServiceAccount ${namespace}/${name}`, cause));
    this.name = 'ServiceAccountError';
    this.code = httpStatusOf(cause);
  }
}

/**
 * "could not <what>" with the HTTP status, or for a failure without one (network) the first line
 * of its message. Never client-node's full message: it goes on with the response body.
 */
export function failureMessage(what: string, cause: unknown): string {
  const code = httpStatusOf(cause);
  return `could not ${what}${code === undefined ? `: ${firstLine(cause)}` : ` (HTTP ${code})`}`;
}

/** The first line of a non-HTTP error (a network failure), which carries no response body. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0] ?? '';
}

/** A ServiceAccount as the cache holds it; `pullSecretsTruncated` when it listed more than is kept. */
export type CachedServiceAccount = V1ServiceAccount & { pullSecretsTruncated?: true };

/** Most imagePullSecrets entries a cached ServiceAccount keeps; with more, the cache says "unknown". */
const MAX_CACHED_ENTRIES = 64;

/** Longest entry name kept; a longer one cannot be a Secret name, and is left out. */
const MAX_NAME = 253;

/**
 * The ServiceAccount informer's transform: name, namespace, uid, resourceVersion, the names of
 * its pull secrets (at most {@link MAX_CACHED_ENTRIES}, else none and `pullSecretsTruncated`) and
 * berth's record of what it attached (bounded). Enough to map events to tokens and to see that a
 * ServiceAccount already lists a Secret without reading it, a few dozen bytes each whatever a
 * tenant puts into its ServiceAccounts, in clusters with tens of thousands of them.
 */
export function cacheServiceAccount(obj: KubernetesObject): CachedServiceAccount {
  const sa = obj as CachedServiceAccount;
  const m = sa.metadata ?? {};
  const metadata: V1ObjectMeta = {};
  for (const field of ['name', 'namespace', 'uid', 'resourceVersion'] as const)
    if (m[field] !== undefined) metadata[field] = m[field];
  const record = attachedNames(m.annotations?.[ATTACHED_ANNOTATION]).filter((n) => n.length <= MAX_NAME);
  if (record.length > 0)
    metadata.annotations = { [ATTACHED_ANNOTATION]: record.slice(0, MAX_CACHED_ENTRIES).join(',') };
  const entries = sa.imagePullSecrets ?? [];
  if (sa.pullSecretsTruncated || entries.length > MAX_CACHED_ENTRIES)
    return { metadata, pullSecretsTruncated: true };
  return {
    metadata,
    imagePullSecrets: entries
      .filter((e) => (e.name ?? '').length <= MAX_NAME)
      .map((e) => ({ name: e.name ?? '' })),
  };
}
