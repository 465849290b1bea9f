import type { CoreV1Api, V1Namespace, V1Secret } from '@kubernetes/client-node';
import type { z } from 'zod';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import type { DistributeSchema } from '../../crds/token-parts.ts';
import { admitReference, selectorMatches } from '../shared/allowed-namespaces.ts';
import { CopyError, deleteCopy, listCopies, type SecretContent, writeCopy } from './copies.ts';
import { attachPullSecret, detachPullSecret, firstLine } from './service-accounts.ts';

export { type SecretContent, TOKEN_UID_LABEL } from './copies.ts';

/** Everything {@link distribute} needs to know about one RegistryToken. */
export interface DistributeInput {
  /** The RegistryToken: where the primary Secret lives and whose UID labels the copies. */
  token: { namespace: string; name: string; uid: string };
  /** What the primary Secret in token.namespace holds (already written by the caller). */
  secret: SecretContent;
  /** spec.distribute. */
  distribute: z.infer<typeof DistributeSchema> | undefined;
  /** The referenced registry, whose spec.allowedNamespaces decides which targets are admitted. */
  registry: ContainerRegistry;
  /**
   * The namespaces the operator may read and write in namespaced mode (--namespaces plus
   * --distribution-namespaces); undefined: every namespace. Copies are looked for only there, and
   * a target outside is a problem, not an API call the API server would refuse.
   */
  reach?: ReadonlySet<string> | undefined;
  /**
   * Namespaces and the token's copies from the informer caches; without them both are listed from
   * the API server (one-off callers and tests).
   */
  cached?:
    | {
        namespaces(): V1Namespace[];
        copies(uid: string): V1Secret[];
        /** The pull secrets a ServiceAccount lists, or undefined when the cache does not know it. */
        pullSecretsOf?(namespace: string, name: string): string[] | undefined;
      }
    | undefined;
}

/** What a {@link distribute} call achieved. */
export interface DistributeResult {
  /** Sorted namespaces that hold an up-to-date copy (the token's own namespace is not included). */
  namespacesServed: string[];
  /** One human-readable line per target left alone (never with a Secret value). */
  problems: string[];
  /** ServiceAccounts (own and target namespaces) that list the Secret after this call. */
  serviceAccountsAttached: number;
}

/**
 * Thrown by {@link distribute} when some API calls failed (not refusals, which are `problems`):
 * everything else was still done, and `result` says what was. The message names the objects and
 * HTTP statuses only.
 */
export class DistributionError extends Error {
  /** What the call achieved despite the failures. */
  readonly result: DistributeResult;
  /** One line per failed call. */
  readonly failures: string[];

  constructor(result: DistributeResult, failures: string[]) {
    super(`distribution incomplete: ${failures.join('; ')}`);
    this.name = 'DistributionError';
    this.result = result;
    this.failures = failures;
  }
}

/** Writes at most this many objects at once: quick for hundreds of namespaces, gentle on the API. */
const CONCURRENCY = 8;

/**
 * For the controller's Namespace watch: whether this Namespace is chosen by spec.distribute, by
 * name or by namespaceSelector. It does not know the token's own namespace (never a target) nor
 * the registry's allowedNamespaces; {@link distribute} applies both.
 */
export function targetsNamespace(
  distribute: DistributeInput['distribute'],
  namespace: { name: string; labels: Record<string, string> },
): boolean {
  if (distribute === undefined) return false;
  if (distribute.namespaces?.includes(namespace.name)) return true;
  return (
    distribute.namespaceSelector !== undefined &&
    selectorMatches(distribute.namespaceSelector, namespace.labels)
  );
}

/**
 * Copies the token's Secret into every namespace spec.distribute chooses and the registry admits,
 * deletes copies from namespaces no longer chosen, and attaches the Secret to the named
 * ServiceAccounts in the token's namespace and in every served namespace. Idempotent; in the
 * steady state it lists Namespaces and the token's copies and writes nothing.
 *
 * Refused or occupied targets are returned as `problems`. Failed API calls do not stop the other
 * namespaces; they are thrown together at the end as a {@link DistributionError}.
 */
export async function distribute(core: CoreV1Api, input: DistributeInput): Promise<DistributeResult> {
  const { token, secret } = input;
  const spec = input.distribute;
  const problems: string[] = [];
  const failures: string[] = [];
  const [targets, copies] = await Promise.all([
    chooseTargets(core, input, problems),
    input.cached ? input.cached.copies(token.uid) : listCopies(core, token.uid, input.reach),
  ]);
  const ours = new Map(copies.map((c) => [`${c.metadata?.namespace}/${c.metadata?.name}`, c]));

  const served: string[] = [];
  await forEachLimited(targets, async (namespace) => {
    try {
      const outcome = await writeCopy(
        core,
        namespace,
        secret,
        token.uid,
        ours.get(`${namespace}/${secret.name}`),
      );
      if (outcome.served) served.push(namespace);
      else problems.push(outcome.problem);
    } catch (err) {
      failures.push(describe(err));
    }
  });
  served.sort();

  const serviceAccounts = spec?.serviceAccounts ?? [];
  let serviceAccountsAttached = 0;
  await forEachLimited(
    [token.namespace, ...served].flatMap((ns) => serviceAccounts.map((sa) => [ns, sa] as const)),
    async ([namespace, sa]) => {
      try {
        // Already listed, as the cache says: nothing to read or write. An edit that removes it
        // is a ServiceAccount event, which reconciles again with the cache up to date.
        if (input.cached?.pullSecretsOf?.(namespace, sa)?.includes(secret.name)) {
          serviceAccountsAttached++;
          return;
        }
        if ((await attachPullSecret(core, namespace, sa, secret.name)) === 'listed')
          serviceAccountsAttached++;
      } catch (err) {
        failures.push(describe(err));
      }
    },
  );

  // A copy is stale when its namespace is no longer a target (left the selection, removed from
  // spec.namespaces, no longer admitted, spec.distribute removed) or it has an old name. A target
  // whose write failed just now is still a target: its copy stays. The own namespace holds the
  // primary, which is the caller's, whatever its labels.
  const wanted = new Set(targets);
  const stale = copies.filter((c) => {
    const ns = c.metadata?.namespace ?? '';
    return ns !== token.namespace && !(wanted.has(ns) && c.metadata?.name === secret.name);
  });
  await forEachLimited(stale, async (copy) => {
    try {
      await removeCopy(core, copy, serviceAccounts);
    } catch (err) {
      failures.push(describe(err));
    }
  });

  const result = { namespacesServed: served, problems: problems.sort(), serviceAccountsAttached };
  if (failures.length > 0) throw new DistributionError(result, failures.sort());
  return result;
}

/**
 * On RegistryToken deletion: deletes every copy (found by TOKEN_UID_LABEL in all namespaces) and
 * removes the Secret from every listed ServiceAccount in the token's namespace and in every
 * namespace that had a copy; other imagePullSecrets entries stay as they are. The ServiceAccounts
 * are done first, so a failure part way leaves the copies in place and a retry finds the same
 * namespaces again. The primary Secret in the token's namespace is not touched here (the
 * reconciler deletes it once the credential is revoked). Idempotent.
 */
export async function undistribute(
  core: CoreV1Api,
  input: {
    token: { namespace: string; name: string; uid: string };
    secretName: string;
    serviceAccounts: string[];
    /** See {@link DistributeInput.reach}. */
    reach?: ReadonlySet<string> | undefined;
  },
): Promise<void> {
  const { token, secretName, serviceAccounts } = input;
  const copies = (await listCopies(core, token.uid, input.reach)).filter(
    (c) => c.metadata?.namespace !== token.namespace,
  );
  const failures: string[] = [];
  await forEachLimited(
    serviceAccounts.map((sa) => [token.namespace, sa] as const),
    async ([namespace, sa]) => {
      try {
        await detachPullSecret(core, namespace, sa, secretName);
      } catch (err) {
        failures.push(describe(err));
      }
    },
  );
  await forEachLimited(copies, async (copy) => {
    try {
      // The copy's own name too, in case the Secret was renamed since it was made.
      await removeCopy(core, copy, serviceAccounts, secretName);
    } catch (err) {
      failures.push(describe(err));
    }
  });
  if (failures.length > 0)
    throw new Error(`could not remove all copies of Secret ${secretName}: ${failures.sort().join('; ')}`);
}

/**
 * Removes our entry from the ServiceAccounts in the copy's namespace, then the copy. Only the
 * ServiceAccounts named now are known: an account removed from spec.serviceAccounts keeps its
 * entry (berth only appends to accounts it is told about; removing the name from the spec is not
 * a request to edit that account again).
 */
async function removeCopy(
  core: CoreV1Api,
  copy: V1Secret,
  serviceAccounts: readonly string[],
  alsoName?: string,
): Promise<void> {
  const namespace = copy.metadata?.namespace ?? '';
  const names = new Set([copy.metadata?.name ?? '', ...(alsoName === undefined ? [] : [alsoName])]);
  for (const sa of serviceAccounts)
    for (const name of names) await detachPullSecret(core, namespace, sa, name);
  await deleteCopy(core, copy);
}

/**
 * The namespaces that should hold a copy, sorted: chosen by name or selector, not the token's own,
 * not being deleted, and admitted by the registry (refusals and unknown names go to `problems`).
 */
async function chooseTargets(core: CoreV1Api, input: DistributeInput, problems: string[]): Promise<string[]> {
  const spec = input.distribute;
  if (spec === undefined || (spec.namespaces === undefined && spec.namespaceSelector === undefined))
    return [];
  let namespaces: V1Namespace[];
  try {
    namespaces = input.cached ? input.cached.namespaces() : (await core.listNamespace()).items;
  } catch (err) {
    throw new CopyError('list Namespaces', err);
  }
  const seen = new Set<string>();
  const targets: string[] = [];
  for (const ns of namespaces) {
    const name = ns.metadata?.name ?? '';
    const labels = ns.metadata?.labels ?? {};
    seen.add(name);
    if (name === input.token.namespace || !targetsNamespace(spec, { name, labels })) continue;
    // A namespace being deleted would refuse the create anyway, and its copy goes with it.
    if (ns.status?.phase === 'Terminating' || ns.metadata?.deletionTimestamp !== undefined) continue;
    if (input.reach && !input.reach.has(name)) {
      problems.push(
        `namespace ${name} is outside the namespaces berth works in (--namespaces, --distribution-namespaces)`,
      );
      continue;
    }
    const admission = admitReference(input.registry, name, labels);
    if (admission.allowed) targets.push(name);
    else problems.push(admission.message);
  }
  for (const name of spec.namespaces ?? [])
    if (!seen.has(name) && name !== input.token.namespace)
      problems.push(`namespace ${name} does not exist; it gets a copy when it is created`);
  return targets.sort();
}

/** Runs `fn` over `items`, at most {@link CONCURRENCY} at a time. */
async function forEachLimited<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

/** One line for a failure: our own errors already carry only names and HTTP statuses. */
function describe(err: unknown): string {
  return firstLine(err);
}
