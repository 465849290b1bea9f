import type { CoreV1Api, V1Namespace, V1Secret } from '@kubernetes/client-node';
import type { z } from 'zod';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import type { DistributeSchema } from '../../crds/token-parts.ts';
import { admitReference, selectorMatches } from '../shared/allowed-namespaces.ts';
import {
  acceptsCopiesFrom,
  acceptsServiceAccount,
  type Consent,
  consentOf,
  copiesRefused,
  serviceAccountsRefused,
} from './consent.ts';
import { CopyError, copyMetadata, deleteCopy, listCopies, type SecretContent, writeCopy } from './copies.ts';
import { attachPullSecret, detachPullSecret, firstLine } from './service-accounts.ts';

export { type CopyMetadata, type SecretContent, TOKEN_UID_LABEL } from './copies.ts';

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
  cached?: DistributionCache | undefined;
}

/** What distribution reads from the informer caches instead of the API server. */
export interface DistributionCache {
  namespaces(): V1Namespace[];
  copies(uid: string): V1Secret[];
  /** The pull secrets a ServiceAccount lists, or undefined when the cache does not know it. */
  pullSecretsOf?(namespace: string, name: string): string[] | undefined;
  /** ServiceAccounts of the namespace whose berth record (attached-pull-secrets) lists the Secret. */
  attachedTo?(namespace: string, secretName: string): string[];
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

/** A namespace that should hold a copy, and what it consented to. */
interface Target {
  namespace: string;
  consent: Consent;
}

/**
 * Copies the token's Secret into every namespace spec.distribute chooses, the registry admits
 * and whose annotations consent to it (consent.ts), deletes copies from namespaces no longer
 * chosen or consenting, and attaches the Secret to the named ServiceAccounts in the token's
 * namespace and, where the namespace accepts them, in every served namespace. Entries berth
 * recorded on ServiceAccounts that are no longer wanted are detached. Idempotent; in the steady
 * state, with the caches, it makes no request at all.
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

  const served: Target[] = [];
  await forEachLimited(targets, async (target) => {
    const { namespace, consent } = target;
    try {
      const outcome = await writeCopy(
        core,
        namespace,
        secret,
        token.uid,
        ours.get(`${namespace}/${secret.name}`),
        copyMetadata(secret, token.uid, consent),
      );
      if (outcome.served) served.push(target);
      else problems.push(outcome.problem);
    } catch (err) {
      failures.push(describe(err));
    }
  });
  served.sort((a, b) => (a.namespace < b.namespace ? -1 : 1));

  const named = spec?.serviceAccounts ?? [];
  const wanted = new Map<string, readonly string[]>([[token.namespace, named]]);
  for (const { namespace, consent } of served) {
    const accepted = named.filter((sa) => acceptsServiceAccount(consent, sa));
    const refused = named.filter((sa) => !accepted.includes(sa));
    if (refused.length > 0) problems.push(serviceAccountsRefused(namespace, refused));
    wanted.set(namespace, accepted);
  }
  let serviceAccountsAttached = 0;
  await forEachLimited(
    [...wanted].flatMap(([ns, sas]) => sas.map((sa) => [ns, sa] as const)),
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
  // Entries berth recorded where they are no longer wanted (a ServiceAccount taken out of the
  // spec, or no longer accepted by its namespace): removed, and only those.
  const unwanted = [...wanted].flatMap(([ns, sas]) =>
    (input.cached?.attachedTo?.(ns, secret.name) ?? [])
      .filter((sa) => !sas.includes(sa))
      .map((sa) => [ns, sa] as const),
  );
  await forEachLimited(unwanted, async ([namespace, sa]) => {
    try {
      await detachPullSecret(core, namespace, sa, secret.name);
    } catch (err) {
      failures.push(describe(err));
    }
  });

  // A copy is stale when its namespace is no longer a target (left the selection, removed from
  // spec.namespaces, no longer admitted or consenting, spec.distribute removed) or it has an old
  // name. A target whose write failed just now is still a target: its copy stays. The own
  // namespace holds the primary, which is the caller's, whatever its labels.
  const targeted = new Set(targets.map((t) => t.namespace));
  const stale = copies.filter((c) => {
    const ns = c.metadata?.namespace ?? '';
    return ns !== token.namespace && !(targeted.has(ns) && c.metadata?.name === secret.name);
  });
  await forEachLimited(stale, async (copy) => {
    try {
      await removeCopy(core, copy, named, input.cached);
    } catch (err) {
      failures.push(describe(err));
    }
  });

  const result = {
    namespacesServed: served.map((t) => t.namespace),
    problems: problems.sort(),
    serviceAccountsAttached,
  };
  if (failures.length > 0) throw new DistributionError(result, failures.sort());
  return result;
}

/**
 * On RegistryToken deletion: deletes every copy (found by TOKEN_UID_LABEL in all namespaces) and
 * takes the Secret off the ServiceAccounts in the token's namespace and in every namespace that
 * had a copy, where berth's record on the ServiceAccount says berth added it: an entry that was
 * there before (another team's own pull secret of the same name) stays. The ServiceAccounts are
 * done first, so a failure part way leaves the copies in place and a retry finds the same
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
    /** Berth's records of attached entries, from the ServiceAccount cache. */
    cached?: Pick<DistributionCache, 'attachedTo'> | undefined;
  },
): Promise<void> {
  const { token, secretName, serviceAccounts } = input;
  const copies = (await listCopies(core, token.uid, input.reach)).filter(
    (c) => c.metadata?.namespace !== token.namespace,
  );
  const failures: string[] = [];
  await forEachLimited(
    candidates(token.namespace, secretName, serviceAccounts, input.cached).map(
      (sa) => [token.namespace, sa] as const,
    ),
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
      await removeCopy(core, copy, serviceAccounts, input.cached);
    } catch (err) {
      failures.push(describe(err));
    }
  });
  if (failures.length > 0)
    throw new Error(`could not remove all copies of Secret ${secretName}: ${failures.sort().join('; ')}`);
}

/** The ServiceAccounts that may hold berth's entry for a Secret: the named ones and those whose record lists it. */
function candidates(
  namespace: string,
  secretName: string,
  named: readonly string[],
  cached: Pick<DistributionCache, 'attachedTo'> | undefined,
): string[] {
  return [...new Set([...named, ...(cached?.attachedTo?.(namespace, secretName) ?? [])])];
}

/**
 * Takes the copy's name off the ServiceAccounts in its namespace where berth's record says berth
 * added it (the copy's own name only: never the token's current Secret name, which may since
 * have been renamed to another team's pull secret), then deletes the copy.
 */
async function removeCopy(
  core: CoreV1Api,
  copy: V1Secret,
  named: readonly string[],
  cached: Pick<DistributionCache, 'attachedTo'> | undefined,
): Promise<void> {
  const namespace = copy.metadata?.namespace ?? '';
  const name = copy.metadata?.name ?? '';
  for (const sa of candidates(namespace, name, named, cached))
    await detachPullSecret(core, namespace, sa, name);
  await deleteCopy(core, copy);
}

/**
 * The namespaces that should hold a copy, sorted: chosen by name or selector, not the token's own,
 * not being deleted, consenting (berth.dev/accept-copies-from) and admitted by the registry. A
 * namespace the token named and that does not consent is a problem whose text is the same
 * whether the namespace exists or not; one chosen only by the selector is passed over in silence
 * (the token's owner did not name it, so its existence is not theirs to learn).
 */
async function chooseTargets(core: CoreV1Api, input: DistributeInput, problems: string[]): Promise<Target[]> {
  const spec = input.distribute;
  if (spec === undefined || (spec.namespaces === undefined && spec.namespaceSelector === undefined))
    return [];
  let namespaces: V1Namespace[];
  try {
    namespaces = input.cached ? input.cached.namespaces() : (await core.listNamespace()).items;
  } catch (err) {
    throw new CopyError('list Namespaces', err);
  }
  const named = new Set(spec.namespaces ?? []);
  const seen = new Set<string>();
  const targets: Target[] = [];
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
    const consent = consentOf(ns.metadata?.annotations);
    if (!acceptsCopiesFrom(consent, input.token)) {
      if (named.has(name)) problems.push(copiesRefused(name, input.token));
      continue;
    }
    const admission = admitReference(input.registry, name, labels);
    if (admission.allowed) targets.push({ namespace: name, consent });
    else problems.push(admission.message);
  }
  for (const name of named)
    if (!seen.has(name) && name !== input.token.namespace) problems.push(copiesRefused(name, input.token));
  return targets.sort((a, b) => (a.namespace < b.namespace ? -1 : 1));
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
