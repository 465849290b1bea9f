import type { IssueReason } from './decision.ts';

/** A rotation's reason as status and events say it: where the provider forced it, which and why. */
export function explainReason(reason: IssueReason, provider: string): string {
  return reason === 'ScopesChanged'
    ? `ScopesChanged: ${provider} cannot change a credential's scopes in place`
    : reason;
}

/** What the Rotated event needs to say about a rotation. */
export interface Rotation {
  /** Name of the credential now in the Secret. */
  issued: string;
  /** Name (or id) of the credential it replaced. */
  previous: string;
  reason: IssueReason;
  provider: string;
  /** spec.gracePeriod, after which the previous credential is revoked. */
  gracePeriod: string;
}

/**
 * The note of the Rotated event. The previous credential keeps working for the grace period, so
 * that Pods holding it are not cut off; but when it was replaced because it is gone at the
 * provider, nothing can use it, and saying it "is revoked after 10m" would be false. Its
 * revocation still comes (idempotent, and a safeguard should the provider list it again), and
 * the note says so, so that the Revoked event later is no surprise.
 */
export function rotatedNote(r: Rotation): string {
  const why = explainReason(r.reason, r.provider);
  const previous =
    r.reason === 'CredentialGone'
      ? `the previous one, ${r.previous}, is already gone at ${r.provider}; its revocation after ${r.gracePeriod} only makes sure`
      : `the previous one is revoked after ${r.gracePeriod}`;
  return `rotated to credential ${r.issued} (${why}); ${previous}`;
}
