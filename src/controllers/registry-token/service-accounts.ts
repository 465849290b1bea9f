import type { CoreV1Api, V1LocalObjectReference, V1ServiceAccount } from '@kubernetes/client-node';
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
 * Appends `{name: secretName}` to the ServiceAccount's imagePullSecrets unless it is already
 * there. Read-modify-write with the read resourceVersion, never server-side apply:
 * imagePullSecrets is `+listType=atomic`, so an apply would take ownership of the whole list and a
 * later apply by its real owner would drop our entry, or ours would drop theirs (peers.md §3).
 * Other entries keep their order. A missing ServiceAccount is not an error: the controller watches
 * ServiceAccounts and comes back when it appears.
 */
export async function attachPullSecret(
  core: CoreV1Api,
  namespace: string,
  name: string,
  secretName: string,
): Promise<ServiceAccountOutcome> {
  return modifyServiceAccount(core, namespace, name, (entries) =>
    entries.some((e) => e.name === secretName) ? undefined : [...entries, { name: secretName }],
  ).then((r) => (r === 'missing' ? r : 'listed'));
}

/**
 * Removes every `{name: secretName}` entry from the ServiceAccount's imagePullSecrets, leaving the
 * other entries as they are and in their order. Used only for a Secret berth itself distributed,
 * when its copy (or the whole RegistryToken) goes away: a reference to a deleted Secret makes the
 * kubelet warn on every pull.
 */
export async function detachPullSecret(
  core: CoreV1Api,
  namespace: string,
  name: string,
  secretName: string,
): Promise<ServiceAccountOutcome> {
  return modifyServiceAccount(core, namespace, name, (entries) =>
    entries.some((e) => e.name === secretName) ? entries.filter((e) => e.name !== secretName) : undefined,
  ).then((r) => (r === 'missing' ? r : 'unlisted'));
}

/**
 * Reads the ServiceAccount, lets `change` compute the new imagePullSecrets (undefined: nothing to
 * do) and replaces it with the resourceVersion it read, re-reading on 409.
 */
async function modifyServiceAccount(
  core: CoreV1Api,
  namespace: string,
  name: string,
  change: (entries: V1LocalObjectReference[]) => V1LocalObjectReference[] | undefined,
): Promise<'unchanged' | 'written' | 'missing'> {
  for (let attempt = 1; ; attempt++) {
    let sa: V1ServiceAccount;
    try {
      sa = await core.readNamespacedServiceAccount({ namespace, name });
    } catch (err) {
      if (httpStatusOf(err) === 404) return 'missing';
      throw new ServiceAccountError(namespace, name, 'read', err);
    }
    const next = change(sa.imagePullSecrets ?? []);
    if (next === undefined) return 'unchanged';
    // managedFields left out: on an update the API server then keeps the live ones, instead of
    // taking ours as a request to reset them.
    const { managedFields: _, ...metadata } = sa.metadata ?? {};
    const body: V1ServiceAccount = { ...sa, metadata, imagePullSecrets: next };
    if (next.length === 0) delete body.imagePullSecrets;
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
