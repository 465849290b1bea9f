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
  /**
   * Spreads renewals: with a key (the token's UID) the renewal comes up to {@link RENEWAL_SPREAD}
   * of the credential's time in use earlier, by a fraction fixed per key. Tokens created together
   * (a GitOps sync of thousands) would otherwise all renew in the same second, far above the
   * provider's rate limit. Never later than without it, so no safety margin shrinks.
   */
  spreadKey?: string | undefined;
}

/** The largest share of a credential's time in use a renewal may come earlier (see spreadKey). */
export const RENEWAL_SPREAD = 0.1;

/** A fraction in [0, 1) fixed by the key (FNV-1a): the same token always gets the same spread. */
export function spreadFraction(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 2 ** 32;
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
  let at = Math.max(input.issuedAt, Math.min(...candidates));
  if (input.spreadKey !== undefined)
    at -= (at - input.issuedAt) * RENEWAL_SPREAD * spreadFraction(input.spreadKey);
  return Math.floor(at / 1000) * 1000;
}

/** Milliseconds until `at` (0 when due). */
export function msUntil(at: number, now: number): number {
  return Math.max(0, at - now);
}
