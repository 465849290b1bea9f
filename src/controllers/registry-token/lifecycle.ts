import type { IssuedCredential, Provider, TokenRegistry } from '../../clients/provider.ts';
import { ConflictError } from '../../clients/provider.ts';
import type { RegistryToken, RegistryTokenStatus } from '../../crds/registry-token.ts';
import type { ReconcileRequest } from '../runtime/controller.ts';
import { TransientError } from '../runtime/outcome.ts';
import { outcomeOfProviderError, providerCall } from '../shared/provider-errors.ts';
import { credentialPrefix, nextCredentialName } from './names.ts';
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
  try {
    return await provider.tokens.issue({ registry, name, scopes: token.spec.scopes, expiresAt });
  } catch (err) {
    // The answer may be lost while the credential exists: keep only what the Secret holds.
    await sweepOrphans(ctx, undefined).catch(() => undefined);
    status.issueResolved = name;
    if (err instanceof ConflictError) {
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
  }
}

/**
 * Revokes every credential the operator owns for this token that is neither the current one,
 * nor waiting for its grace period, nor `adopt` (the one the Secret holds after a lost status
 * write). Returns the adopted credential's id, if it was found.
 */
export async function sweepOrphans(
  ctx: CredentialContext,
  adopt: string | undefined,
): Promise<string | undefined> {
  const { req, status, provider, registry } = ctx;
  const owned = await call(ctx, () =>
    provider.tokens.listOwned(registry, credentialPrefix(req.object.metadata.uid ?? '')),
  );
  const keep = new Set([
    status.credentialId,
    ...(status.pendingRevocations ?? []).map((p) => p.credentialId),
  ]);
  let adopted: string | undefined;
  for (const credential of owned) {
    if (keep.has(credential.id)) continue;
    if (adopt !== undefined && credential.id === adopt) {
      adopted = credential.id;
      continue;
    }
    await call(ctx, () => provider.tokens.revoke(registry, credential.id));
    await req.recordEvent({
      type: 'Warning',
      reason: TokenReason.OrphanRevoked,
      note: `revoked credential ${credential.name} that an interrupted issue left behind`,
      action: 'Revoke',
    });
  }
  delete status.pendingIssue;
  return adopted;
}

/** Revokes replaced credentials whose grace period is over; returns the earliest still pending. */
export async function revokeDue(ctx: CredentialContext): Promise<number | undefined> {
  const { req, status, provider, registry } = ctx;
  const now = req.now();
  const remaining: NonNullable<TokenStatus['pendingRevocations']> = [];
  for (const pending of status.pendingRevocations ?? []) {
    if (Date.parse(pending.revokeAfter) > now) {
      remaining.push(pending);
      continue;
    }
    await call(ctx, () => provider.tokens.revoke(registry, pending.credentialId));
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
  const { status, provider, registry } = ctx;
  for (const pending of status.pendingRevocations ?? []) {
    await call(ctx, () => provider.tokens.revoke(registry, pending.credentialId));
  }
  delete status.pendingRevocations;
}
