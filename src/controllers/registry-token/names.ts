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
