import type {
  IssuedCredential,
  ObservedCredential,
  Provider,
  TokenRegistry,
} from '../../clients/provider.ts';
import { ConflictError } from '../../clients/provider.ts';
import type { RegistryToken, RegistryTokenStatus } from '../../crds/registry-token.ts';
import type { ReconcileRequest } from '../runtime/controller.ts';
import { TransientError } from '../runtime/outcome.ts';
import { outcomeOfProviderError, providerCall } from '../shared/provider-errors.ts';
import type { CensusSnapshot, CredentialCensus } from './census.ts';
import { BERTH_NAME_PREFIX, orphansOf } from './census-findings.ts';
import { nextCredentialName } from './names.ts';
import { ISSUING_ANNOTATION, TokenReason } from './reasons.ts';

/** The mutable status of a RegistryToken. */
export type TokenStatus = RegistryTokenStatus & Record<string, unknown>;

/** What the credential operations need. */
export interface CredentialContext {
  req: ReconcileRequest<RegistryToken>;
  status: TokenStatus;
  provider: Provider;
  registry: TokenRegistry;
  /** Name of the registry's credentials Secret, for error messages. */
  credentialsSecret: string;
  /** The shared lists of the registry's credentials, and this registry's key in it. */
  census: CredentialCensus;
  censusKey: string;
}

/** One paged list of every berth credential at the context's registry. */
export function listCredentials(ctx: CredentialContext): () => Promise<readonly ObservedCredential[]> {
  return () => ctx.provider.tokens.listOwned(ctx.registry, BERTH_NAME_PREFIX);
}

const call = <T>(ctx: CredentialContext, fn: () => Promise<T>) => providerCall(ctx.credentialsSecret, fn);

/**
 * The name of an issue that was interrupted (a crash, a timeout, a lost answer) before status named
 * its credential, or undefined: the intent annotation names a credential that status neither holds,
 * nor waits to revoke, nor has cleaned up after. `status.pendingIssue` is the same record as older
 * versions of berth wrote it.
 */
export function interruptedIssue(issuing: string | undefined, status: TokenStatus): string | undefined {
  if (status.pendingIssue) return status.pendingIssue.credentialName;
  if (!issuing || issuing === status.credentialName || issuing === status.issueResolved) return undefined;
  if ((status.pendingRevocations ?? []).some((p) => p.credentialName === issuing)) return undefined;
  return issuing;
}

/**
 * Issues the next credential. The name is chosen and recorded (annotation berth.dev/issuing, in
 * one write with the finalizer) before the provider is called, so that after a crash, a timeout or
 * a lost answer the credential can be found by name and revoked instead of leaking. That write is
 * conditional on the version of the token this reconcile read, so a reconcile that started from
 * an old copy of the token fails here (409, retried on fresh data) before it creates anything.
 */
export async function issueNext(
  ctx: CredentialContext,
  expiresAt: Date | undefined,
): Promise<IssuedCredential> {
  const { req, status, provider, registry } = ctx;
  const token = req.object;
  const issuing = token.metadata.annotations?.[ISSUING_ANNOTATION];
  const name = nextCredentialName(token.metadata.uid ?? '', {
    ...status,
    ...(issuing ? { pendingIssue: { credentialName: issuing } } : {}),
  });
  await req.recordIntent({ [ISSUING_ANNOTATION]: name });
  const tokenKey = `${token.metadata.namespace}/${token.metadata.name}`;
  ctx.census.noteIssue(tokenKey);
  try {
    return await provider.tokens.issue({ registry, name, scopes: token.spec.scopes, expiresAt });
  } catch (err) {
    // The answer may be lost while the credential exists: keep only what the Secret holds. The
    // issue counts as resolved only once a sweep saw the registry after the failure; a sweep that
    // failed leaves the intent open, and the next reconcile sweeps again.
    let swept = false;
    try {
      await sweepOrphans(ctx, { issuing: name });
      status.issueResolved = name;
      ctx.census.issueSettled(tokenKey);
      swept = true;
    } catch (sweepErr) {
      req.logger.info({ err: String(sweepErr) }, 'could not look for the credential of a failed issue yet');
    }
    if (swept && err instanceof ConflictError) {
      // The name is ours (it carries the token's UID): an earlier attempt made it and its answer
      // was lost. The sweep just revoked it, so the next attempt can take the name; this needs no
      // user, unlike a ContainerRegistry whose name someone else holds.
      throw new TransientError(
        TokenReason.CredentialNameTaken,
        `credential ${name} already existed at ${provider.name} (an earlier attempt whose answer was lost); ` +
          'revoked it, issuing again',
        { cause: err },
      );
    }
    throw outcomeOfProviderError(err, ctx.credentialsSecret);
  } finally {
    // When the create ended: a sweep after a later interruption needs a list started after this.
    ctx.census.noteIssue(tokenKey);
  }
}

/** What a sweep keeps, and where it looks. */
export interface SweepOptions {
  /** The credential the Secret holds after a lost status write: kept, and returned if it exists. */
  adopt?: string | undefined;
  /** A list the census took; by default one is taken after now. */
  snapshot?: CensusSnapshot | undefined;
  /** The name of the issue that just failed, when the token's annotation may not show it yet. */
  issuing?: string | undefined;
  /** The list must have started after this moment (default: now). */
  notBefore?: number | undefined;
}

/**
 * Revokes every credential of this token at the provider that is neither the current one, nor
 * waiting for its grace period, nor `adopt` (the one the Secret holds after a lost status
 * write). It looks at a list of the registry taken after now (shared with every other token
 * sweeping meanwhile), or at the census's `snapshot`. Returns the adopted credential's id, if
 * it was found.
 */
export async function sweepOrphans(
  ctx: CredentialContext,
  options: SweepOptions = {},
): Promise<string | undefined> {
  const { status } = ctx;
  const { adopt } = options;
  const list = options.snapshot ?? (await freshList(ctx, options.notBefore));
  const view = viewOf(ctx, options.issuing);
  const orphans = orphansOf(list, view, ctx.census.revokedSince(ctx.censusKey, list.startedAt), {
    adopt,
    inFlight: 'sweep',
  });
  await revokeOrphans(ctx, orphans);
  const adopted = adopt !== undefined && list.byId.has(adopt) ? adopt : undefined;
  return adopted !== status.credentialId ? adopted : undefined;
}

/**
 * Revokes every credential of the token (deletion, or a registry that stopped admitting it):
 * those its status knows at once, then whatever else a fresh list shows under its name, which
 * only an interrupted issue can have left (an orphan, said as such). Returns how many status knew.
 */
export async function revokeEverything(ctx: CredentialContext): Promise<number> {
  const { status } = ctx;
  const known = [status.credentialId, ...(status.pendingRevocations ?? []).map((p) => p.credentialId)].filter(
    (id): id is string => id !== undefined,
  );
  for (const id of known) await revokeOne(ctx, id);
  const list = await freshList(ctx);
  const rest = orphansOf(list, viewOf(ctx), ctx.census.revokedSince(ctx.censusKey, list.startedAt), {
    inFlight: 'everything',
  }).filter((c) => !known.includes(c.id));
  await revokeOrphans(ctx, rest);
  return known.length;
}

/** Revokes credentials an interrupted issue left behind, each with its Warning; the issue is settled. */
async function revokeOrphans(ctx: CredentialContext, orphans: readonly ObservedCredential[]): Promise<void> {
  for (const credential of orphans) {
    await revokeOne(ctx, credential.id);
    await ctx.req.recordEvent({
      type: 'Warning',
      reason: TokenReason.OrphanRevoked,
      note: `revoked credential ${credential.name} that an interrupted issue left behind`,
      action: 'Revoke',
    });
  }
  delete ctx.status.pendingIssue;
}

function viewOf(ctx: CredentialContext, issuing?: string) {
  const token = ctx.req.object;
  return {
    uid: token.metadata.uid ?? '',
    status: ctx.status,
    issuing: issuing ?? token.metadata.annotations?.[ISSUING_ANNOTATION],
  };
}

/**
 * A list of the registry started after now: what a credential committed before now is in. The
 * list is shared with every token waiting for one meanwhile, so the wait holds no worker.
 */
function freshList(ctx: CredentialContext, notBefore = ctx.req.now()): Promise<CensusSnapshot> {
  return call(ctx, () =>
    ctx.req.waitShared(ctx.census.fresh(ctx.censusKey, notBefore, listCredentials(ctx))),
  );
}

async function revokeOne(ctx: CredentialContext, id: string): Promise<void> {
  await call(ctx, () => ctx.provider.tokens.revoke(ctx.registry, id));
  ctx.census.noteRevoked(ctx.censusKey, id);
}

/** Revokes replaced credentials whose grace period is over; returns the earliest still pending. */
export async function revokeDue(ctx: CredentialContext): Promise<number | undefined> {
  const { req, status } = ctx;
  const now = req.now();
  const remaining: NonNullable<TokenStatus['pendingRevocations']> = [];
  for (const pending of status.pendingRevocations ?? []) {
    if (Date.parse(pending.revokeAfter) > now) {
      remaining.push(pending);
      continue;
    }
    await revokeOne(ctx, pending.credentialId);
    await req.recordEvent({
      type: 'Normal',
      reason: TokenReason.Revoked,
      note: `revoked replaced credential ${pending.credentialName ?? pending.credentialId} after its grace period`,
      action: 'Revoke',
    });
  }
  if (remaining.length > 0) status.pendingRevocations = remaining;
  else delete status.pendingRevocations;
  const times = remaining.map((p) => Date.parse(p.revokeAfter));
  return times.length > 0 ? Math.min(...times) : undefined;
}

/**
 * Revokes pending replaced credentials at once. Called before issuing while one is still in its
 * grace period, so that no more than two live credentials ever exist for one RegistryToken.
 */
export async function revokePendingNow(ctx: CredentialContext): Promise<void> {
  const { status } = ctx;
  for (const pending of status.pendingRevocations ?? []) await revokeOne(ctx, pending.credentialId);
  delete status.pendingRevocations;
}
