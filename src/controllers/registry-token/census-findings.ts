import type { ObservedCredential } from '../../clients/provider.ts';
import type { CensusFinding, CensusSnapshot } from './census.ts';
import { interruptedIssue, type TokenStatus } from './lifecycle.ts';
import { counterOf, isOwnedBy, type KnownCredentialNames, parseCredentialName } from './names.ts';

/** What every berth credential name starts with: the census lists all of a registry's at once. */
export const BERTH_NAME_PREFIX = 'berth-';

/** What the census and the sweep know about one token. */
export interface TokenView {
  uid: string;
  status: TokenStatus;
  /** The berth.dev/issuing annotation: the name of the last credential berth set out to issue. */
  issuing: string | undefined;
}

/**
 * Clocks of two replicas may differ a little: a credential seen this little before a list
 * started is not called gone on that list's word.
 */
export const CLOCK_SKEW_MS = 5_000;

/**
 * Without a record of when the credential was last seen (statuses of older versions), one issued
 * less than this before a list started may be missing from it (its create still under way).
 */
export const ISSUE_SETTLE_MS = 2 * 60_000;

/** The credential names a token's status and annotation know: current, pending, being issued, resolved. */
function knownNames(view: TokenView): string[] {
  const { status } = view;
  return [
    status.credentialName,
    status.pendingIssue?.credentialName,
    status.issueResolved,
    view.issuing,
    ...(status.pendingRevocations ?? []).map((p) => p.credentialName),
  ].filter((n): n is string => n !== undefined);
}

/**
 * Whether a listed credential is this token's to revoke as an orphan: only names of the current
 * form, which carry the token's whole UID. A legacy name (8 hex of the UID) may be another
 * token's, even of the same name on Selectel's project-wide lists, so it is never revoked by
 * name; what status knows of it goes by id.
 */
function revocableByName(view: TokenView, name: string): boolean {
  const known: KnownCredentialNames = {
    credentialName: view.status.credentialName,
    pendingRevocations: view.status.pendingRevocations,
  };
  return isOwnedBy(view.uid, name, known) && parseCredentialName(name)?.legacy === false;
}

/**
 * The credentials in a list that belong to the token and that it has no use for: neither current,
 * nor waiting out a grace period, nor `adopt` (what the Secret holds after a lost status write),
 * nor revoked since the list started. Only names up to the highest counter the token knows
 * count: a higher one is an issue under way that the token's status does not show yet (the
 * census reads tokens from a cache that may lag). With `inFlight: 'keep'` (the census, reading
 * the cache), the credential of an issue not yet resolved is left to the token's own reconcile.
 */
export function orphansOf(
  snapshot: CensusSnapshot,
  view: TokenView,
  revoked: ReadonlySet<string>,
  options: { adopt?: string | undefined; inFlight: 'keep' | 'sweep' | 'everything' },
): ObservedCredential[] {
  const { status } = view;
  if (options.inFlight === 'everything') {
    return snapshot.credentials.filter(
      (c) => revocableByName(view, c.name) && c.id !== options.adopt && !revoked.has(c.id),
    );
  }
  const keepIds = new Set<string | undefined>([
    status.credentialId,
    options.adopt,
    ...(status.pendingRevocations ?? []).map((p) => p.credentialId),
  ]);
  const keepNames = new Set<string | undefined>([
    status.credentialName,
    ...(status.pendingRevocations ?? []).map((p) => p.credentialName),
  ]);
  if (options.inFlight === 'keep') keepNames.add(interruptedIssue(view.issuing, status));
  const ceiling = Math.max(0, ...knownNames(view).map(counterOf));
  return snapshot.credentials.filter(
    (c) =>
      revocableByName(view, c.name) &&
      !keepIds.has(c.id) &&
      !keepNames.has(c.name) &&
      !revoked.has(c.id) &&
      counterOf(c.name) <= ceiling,
  );
}

/**
 * What one list says about each token of its registry: a current credential that looks gone,
 * disabled or expired (the token confirms with one look of its own before replacing it, since
 * the cache the census read may lag), and orphans to revoke. Tokens with nothing to do are left
 * out: the census writes nothing and wakes nobody for them.
 */
export function censusFindings(
  snapshot: CensusSnapshot,
  tokens: ReadonlyMap<string, TokenView>,
  revoked: ReadonlySet<string>,
  now: number,
): Map<string, CensusFinding> {
  const out = new Map<string, CensusFinding>();
  for (const [key, view] of tokens) {
    const suspect = suspectOf(snapshot, view.status, now);
    const orphans = orphansOf(snapshot, view, revoked, { inFlight: 'keep' }).length;
    if (suspect || orphans > 0) out.set(key, { snapshot, suspect, orphans });
  }
  return out;
}

function suspectOf(
  snapshot: CensusSnapshot,
  status: TokenStatus,
  now: number,
): CensusFinding['suspect'] | undefined {
  const id = status.credentialId;
  if (!id) return undefined;
  const listed = snapshot.byId.get(id);
  if (!listed) {
    // Gone only if it surely existed when the list started: berth saw it at the provider (the
    // create answered, or a look) before then. A list started earlier may miss it.
    const seenAt = status.credentialCheckedAt ? Date.parse(status.credentialCheckedAt) : Number.NaN;
    const issuedAt = status.issuedAt ? Date.parse(status.issuedAt) : Number.NaN;
    const existedBefore =
      seenAt < snapshot.startedAt - CLOCK_SKEW_MS || issuedAt < snapshot.startedAt - ISSUE_SETTLE_MS;
    return existedBefore ? { credentialId: id, why: 'gone' } : undefined;
  }
  if (!listed.enabled) return { credentialId: id, why: 'disabled' };
  if (listed.expiresAt && listed.expiresAt.getTime() <= now) return { credentialId: id, why: 'expired' };
  return undefined;
}
