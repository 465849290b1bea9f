/** What renewal timing depends on (all times in epoch ms). */
export interface RenewalInput {
  issuedAt: number;
  /** When the credential expires; undefined when it never does (Quay robots). */
  expiresAt?: number | undefined;
  /** spec.lifetime. */
  lifetimeMs: number;
  /** spec.renewBefore; default a third of the lifetime. */
  renewBeforeMs?: number | undefined;
  /** spec.rotateEvery: rotate at least this often even without expiry. */
  rotateEveryMs?: number | undefined;
}

/** The default renewBefore: a third of the lifetime (cert-manager renews at two thirds). */
export function defaultRenewBefore(lifetimeMs: number): number {
  return Math.floor(lifetimeMs / 3);
}

/**
 * When to renew: `expiresAt - renewBefore`, or `issuedAt + rotateEvery` if sooner, truncated to
 * the second (status stores seconds). Never before issue and never after expiry: a renewBefore
 * longer than what the provider granted renews half way instead. Undefined: nothing to renew.
 */
export function renewalTime(input: RenewalInput): number | undefined {
  const candidates: number[] = [];
  if (input.expiresAt !== undefined) {
    const before = input.renewBeforeMs ?? defaultRenewBefore(input.lifetimeMs);
    const granted = input.expiresAt - input.issuedAt;
    // The provider may grant less than asked; keep at least half of what it granted in use.
    const margin = before < granted ? before : granted / 2;
    candidates.push(input.expiresAt - margin);
  }
  if (input.rotateEveryMs !== undefined) candidates.push(input.issuedAt + input.rotateEveryMs);
  if (candidates.length === 0) return undefined;
  const at = Math.max(input.issuedAt, Math.min(...candidates));
  return Math.floor(at / 1000) * 1000;
}

/** Milliseconds until `at` (0 when due). */
export function msUntil(at: number, now: number): number {
  return Math.max(0, at - now);
}
