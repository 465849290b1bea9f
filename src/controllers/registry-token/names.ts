/**
 * Deterministic credential names: `berth-<first 8 of the RegistryToken's UID>-<counter>`. Valid
 * for IONOS token names, Selectel token names and Quay robot short names alike; the UID keeps
 * tokens of equal names in different namespaces apart, and the prefix is what the operator owns
 * at the provider (listOwned) when it recovers from a crash.
 */
export function credentialPrefix(uid: string): string {
  return `berth-${uid.replace(/-/g, '').slice(0, 8).toLowerCase()}-`;
}

/** The name of the credential with this counter. */
export function credentialName(uid: string, counter: number): string {
  return `${credentialPrefix(uid)}${counter}`;
}

/** The counter in a credential name made by {@link credentialName}, or 0. */
export function counterOf(name: string | undefined): number {
  const match = name ? /-(\d+)$/.exec(name) : null;
  return match ? Number(match[1]) : 0;
}

/** The credential names a token's status knows of: current, being issued, waiting for revocation. */
export interface KnownCredentialNames {
  credentialName?: string | undefined;
  pendingIssue?: { credentialName: string } | undefined;
  pendingRevocations?: readonly { credentialName?: string | undefined }[] | undefined;
}

/**
 * The name of the next credential: one counter above every name the status knows. Providers
 * refuse a second credential of the same name (Quay: "Existing robot", IONOS: unique token
 * names), so a name still in use, the current one or one in its grace period, must never come back.
 */
export function nextCredentialName(uid: string, known: KnownCredentialNames): string {
  const names = [
    known.credentialName,
    known.pendingIssue?.credentialName,
    ...(known.pendingRevocations ?? []).map((p) => p.credentialName),
  ];
  return credentialName(uid, Math.max(0, ...names.map(counterOf)) + 1);
}
