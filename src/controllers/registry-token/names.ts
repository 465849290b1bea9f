/**
 * Deterministic credential names: `berth-<the RegistryToken's UID, 32 hex>-<counter>`. Valid for
 * IONOS token names, Selectel token names and Quay robot short names alike, and at most 49
 * characters with a 10-digit counter (limits and the choice: docs/adr/017-credential-names.md).
 * The whole UID makes the name this token's alone, so a sweep may revoke by name. Until issue #19
 * berth named credentials `berth-<first 8 hex>-<counter>`; those legacy names are still recognised,
 * but 8 hex are shared by other tokens often enough that they never prove ownership on their own.
 */

const NEW_HEX = 32;
const LEGACY_HEX = 8;
const NEW_FORM = /^berth-([0-9a-f]{32})-([1-9][0-9]*)$/;
const LEGACY_FORM = /^berth-([0-9a-f]{8})-([1-9][0-9]*)$/;

function uidHex(uid: string, length: number): string {
  return uid.replace(/-/g, '').slice(0, length).toLowerCase();
}

/** Quay answers robots as `org+short`; berth's name is the short part (org names have no `+`). */
function withoutOrganization(name: string): string {
  return name.slice(name.lastIndexOf('+') + 1);
}

/** The prefix of every credential berth issues for this token from now on, ending in `-`. */
export function credentialPrefix(uid: string): string {
  return `berth-${uidHex(uid, NEW_HEX)}-`;
}

/** The prefix berth gave this token's credentials before the names carried the whole UID. */
export function legacyCredentialPrefix(uid: string): string {
  return `berth-${uidHex(uid, LEGACY_HEX)}-`;
}

/** Every prefix this token's credentials may carry, the current form first. */
export function ownedPrefixes(uid: string): string[] {
  const current = credentialPrefix(uid);
  const legacy = legacyCredentialPrefix(uid);
  return current === legacy ? [current] : [current, legacy];
}

/** The name of the credential with this counter. */
export function credentialName(uid: string, counter: number): string {
  return `${credentialPrefix(uid)}${counter}`;
}

/** The counter in a credential name of either form, or 0. */
export function counterOf(name: string | undefined): number {
  const match = name ? /-(\d+)$/.exec(name) : null;
  return match ? Number(match[1]) : 0;
}

/** A credential name of berth's, taken apart. */
export interface ParsedCredentialName {
  /** Everything before the counter, ending in `-`. */
  prefix: string;
  counter: number;
  /** Whether the name carries only the first 8 hex of the UID (berth before issue #19). */
  legacy: boolean;
}

/**
 * Takes apart a name of berth's, of either form; a Quay robot's `org+short` is read as its short
 * name. Undefined for anything else (a credential made by hand, a CleanupPolicy's run credential).
 */
export function parseCredentialName(name: string): ParsedCredentialName | undefined {
  const short = withoutOrganization(name);
  for (const [form, legacy] of [
    [NEW_FORM, false],
    [LEGACY_FORM, true],
  ] as const) {
    const match = form.exec(short);
    const counter = Number(match?.[2]);
    if (match && Number.isSafeInteger(counter))
      return { prefix: short.slice(0, -(match[2]?.length ?? 0)), counter, legacy };
  }
  return undefined;
}

/** The credential names a token's status knows of: current, being issued, waiting for revocation. */
export interface KnownCredentialNames {
  credentialName?: string | undefined;
  pendingIssue?: { credentialName: string } | undefined;
  pendingRevocations?: readonly { credentialName?: string | undefined }[] | undefined;
}

function knownNames(known: KnownCredentialNames | undefined): (string | undefined)[] {
  return [
    known?.credentialName,
    known?.pendingIssue?.credentialName,
    ...(known?.pendingRevocations ?? []).map((p) => p.credentialName),
  ];
}

/** Whether the name is the prefix and a counter as {@link credentialName} writes it. */
function hasPrefix(name: string, prefix: string): boolean {
  return name.startsWith(prefix) && /^[1-9][0-9]*$/.test(name.slice(prefix.length));
}

/**
 * Whether a credential name is this token's. A name of the current form is when it carries the
 * token's UID. A legacy name is only when `known` (the token's status and issue intent) names it
 * exactly: among 100,000 tokens two share their first 8 hex with a chance of about two in three,
 * and both then count from 1. Even then the name alone does not justify revoking the credential:
 * Selectel lists tokens project-wide and lets two carry one name, so a sweep that revokes must
 * match legacy credentials by the ids in status, and revoke by name only the current form.
 */
export function isOwnedBy(uid: string, name: string, known?: KnownCredentialNames): boolean {
  const short = withoutOrganization(name);
  if (hasPrefix(short, credentialPrefix(uid))) return true;
  return hasPrefix(short, legacyCredentialPrefix(uid)) && knownNames(known).includes(short);
}

/**
 * The name of the next credential: one counter above every name the status knows, of either
 * form, so the counter carries on across the change of form. Providers refuse a second
 * credential of the same name (Quay: "Existing robot", IONOS: unique token names), so a name
 * still in use, the current one or one in its grace period, must never come back.
 */
export function nextCredentialName(uid: string, known: KnownCredentialNames): string {
  return credentialName(uid, Math.max(0, ...knownNames(known).map(counterOf)) + 1);
}
