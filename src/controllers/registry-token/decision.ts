import { createHash } from 'node:crypto';
import type { ObservedCredential, TokenScope } from '../../clients/provider.ts';

/** Why a credential is (re)issued; recorded in status.lastRotationReason and the event. */
export type IssueReason =
  | 'Initial'
  | 'SecretDeleted'
  | 'SecretModified'
  | 'RotationRequested'
  | 'Renewal'
  | 'ScopesChanged'
  | 'CredentialGone'
  | 'CredentialDisabled'
  | 'CredentialExpired';

/** What a reconcile does to the credential, before revocations and distribution (which always run). */
export type TokenAction =
  /** Issue a new credential (make-before-break: the previous one waits out its grace period). */
  | { kind: 'issue'; reason: IssueReason }
  /** Move the current credential's expiry (renewal: Extend). */
  | { kind: 'extend' }
  /** Give the current credential the scopes of the spec, in place. */
  | { kind: 'updateScopes' }
  /** Look at the current credential at the provider, then {@link afterObservation}. */
  | { kind: 'observe' }
  | { kind: 'none' };

/** Everything the decision depends on, already read: no I/O, times in epoch ms. */
export interface DecisionInput {
  now: number;
  /** The token has a current credential (status.credentialId). */
  hasCredential: boolean;
  /** Why the Secret cannot be trusted to hold it, if so. */
  secretProblem: 'SecretDeleted' | 'SecretModified' | undefined;
  /** A value of berth.dev/rotate-requested-at not yet honoured. */
  rotationRequested: boolean;
  /** status.renewAt. */
  renewAt: number | undefined;
  renewal: 'Rotate' | 'Extend';
  /** spec.scopes differ from what the current credential was given (status.scopesHash). */
  scopesChanged: boolean;
  /** The provider can change a credential's scopes in place (Tokens.updateScopes). */
  canUpdateScopes: boolean;
  /** The census's list suggests the current credential is gone, disabled or expired: look. */
  suspect: boolean;
  /**
   * Where each token polls its own credential (Quay, whose grants follow repositories created
   * later): when the next poll is due (credentialCheckedAt + observeInterval). Undefined elsewhere.
   */
  pollDueAt: number | undefined;
}

/**
 * What to do now, most urgent first: a missing credential is issued; a Secret that cannot be
 * trusted, a requested rotation or a due renewal replace it; changed scopes are applied in place
 * where the provider can, by a rotation where it cannot; otherwise the credential is looked at
 * (crossplane's Observe) when the registry's census found it missing, disabled or expired, or,
 * where tokens poll, once per observeInterval; the look may still call for a rotation.
 */
export function decide(input: DecisionInput): TokenAction {
  if (!input.hasCredential) return { kind: 'issue', reason: 'Initial' };
  if (input.secretProblem) return { kind: 'issue', reason: input.secretProblem };
  if (input.rotationRequested) return { kind: 'issue', reason: 'RotationRequested' };
  if (input.renewAt !== undefined && input.renewAt <= input.now)
    return input.renewal === 'Extend' ? { kind: 'extend' } : { kind: 'issue', reason: 'Renewal' };
  if (input.scopesChanged)
    return input.canUpdateScopes ? { kind: 'updateScopes' } : { kind: 'issue', reason: 'ScopesChanged' };
  if (input.suspect) return { kind: 'observe' };
  if (input.pollDueAt !== undefined && input.pollDueAt <= input.now) return { kind: 'observe' };
  return { kind: 'none' };
}

/**
 * What a look at the current credential calls for: a credential deleted, disabled or expired at
 * the provider behind berth's back is replaced at once, not when the Secret's renewal comes. A
 * provider that expands scope patterns when granting (Quay) has its grants brought up to date.
 */
export function afterObservation(
  observed: ObservedCredential | undefined,
  now: number,
  expandsScopes: boolean,
): TokenAction {
  if (!observed) return { kind: 'issue', reason: 'CredentialGone' };
  if (!observed.enabled) return { kind: 'issue', reason: 'CredentialDisabled' };
  if (observed.expiresAt && observed.expiresAt.getTime() <= now)
    return { kind: 'issue', reason: 'CredentialExpired' };
  return expandsScopes ? { kind: 'updateScopes' } : { kind: 'none' };
}

/** A stable hash of scopes (order of entries and actions does not matter): status.scopesHash. */
export function scopesHash(scopes: readonly TokenScope[]): string {
  const canonical = scopes
    .map((s) => `${s.repository}=${[...s.actions].sort().join(',')}`)
    .sort()
    .join('\n');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/** When the reconcile must run again: the earliest of renewal, a pending revocation and the next check. */
export function nextWake(times: readonly (number | undefined)[]): number | undefined {
  const known = times.filter((t): t is number => t !== undefined);
  return known.length > 0 ? Math.min(...known) : undefined;
}
