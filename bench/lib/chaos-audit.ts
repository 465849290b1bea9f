// The chaos bench's verdict, as a pure function of what the cluster and the provider hold after
// the settle period: no I/O here, so the rules can be checked on made-up cases.
import type { LoginAccess, ProviderCredential } from './chaos-census.ts';

/** A RegistryToken as the audit needs it. */
export interface AuditToken {
  name: string;
  uid: string;
  /** Ready=True at its current generation. */
  ready: boolean;
  credentialId?: string | undefined;
  /** status.credentialName: the current credential's name at the provider. */
  credentialName?: string | undefined;
  /** status.username: the docker login user of the current credential. */
  username?: string | undefined;
  /** IDs in status.pendingRevocations. */
  pendingRevocations: string[];
  /** Whether status.pendingIssue is still set. */
  pendingIssue: boolean;
  /** status.credentialId when the issue phase ended: the credential the rotation replaces. */
  issuedId?: string | undefined;
}

/** A token's Secret as the audit needs it. */
export interface AuditSecret {
  /** The docker login in `.dockerconfigjson`, if one could be read. */
  login?: { username: string; password: string } | undefined;
  /** The `berth.dev/credential-id` annotation. */
  credentialId?: string | undefined;
  /** The `berth.dev/rotation-request` annotation: the rotation request it honours. */
  rotationRequest?: string | undefined;
  /** What the provider's docker-login check says of the login. */
  access: LoginAccess;
}

/** Everything the audit looks at. */
export interface AuditInput {
  tokens: AuditToken[];
  /** By token name; a token without an entry has no Secret (or none with a login). */
  secrets: ReadonlyMap<string, AuditSecret>;
  /** Every berth-named credential at the provider, live or not. */
  credentials: ProviderCredential[];
  /** The value of berth.dev/rotate-requested-at the rotation phase set on every token. */
  rotationRequest: string;
}

/** A live credential no token names, with the token its name points at if any. */
export interface Orphan {
  id: string;
  name: string;
  /** The token whose credential prefix the name carries (`berth-<uid[0:8]>-`), if it exists. */
  token?: string | undefined;
}

/** The audit's findings: every list empty and every count zero is a pass. */
export interface AuditResult {
  tokens: number;
  notReady: string[];
  /** Tokens whose current credential is not a new one honouring the rotation request. */
  notRotated: string[];
  /** Tokens without a Secret holding a docker login. */
  secretsMissing: string[];
  /** Secrets whose login the provider refuses. */
  deadSecrets: string[];
  /** Secrets whose login the provider accepts but that may not pull the token's repository. */
  noPull: string[];
  /** Secrets holding another credential than their token's status names (or annotated with another). */
  mismatches: string[];
  /** For each mismatch: what the Secret holds, how it is annotated, what the status names. */
  mismatchDetails: string[];
  /** Live berth credentials that no token names as current or pending revocation. */
  orphans: Orphan[];
  /** Credentials replaced by the rotation that are still live. */
  replacedLive: string[];
  /** Names held by more than one live credential. */
  duplicateNames: string[];
  /** Credential IDs that more than one token names as current. */
  sharedIds: string[];
  /** Live berth credentials at the provider, and how many there should be (one per token plus pending). */
  live: number;
  expected: number;
  /** status.pendingRevocations entries and pendingIssue markers left. */
  pendingRevocations: number;
  pendingIssues: number;
}

/** The first 8 hex digits of a UID: what every berth credential name starts with after `berth-`. */
const uidTag = (uid: string) => uid.replace(/-/g, '').slice(0, 8).toLowerCase();

/** Applies the chaos bench's rules (bench/README.md) to what is left after the settle period. */
export function audit(input: AuditInput): AuditResult {
  const { tokens, secrets, credentials } = input;
  const live = credentials.filter((c) => c.live);
  const bySecret = new Map(credentials.map((c) => [c.secret, c]));
  const liveIds = new Set(live.map((c) => c.id));
  const named = new Set<string>();
  const currentOwners = new Map<string, number>();
  for (const t of tokens) {
    if (t.credentialId) {
      named.add(t.credentialId);
      currentOwners.set(t.credentialId, (currentOwners.get(t.credentialId) ?? 0) + 1);
    }
    for (const id of t.pendingRevocations) named.add(id);
  }
  const byTag = new Map(tokens.map((t) => [uidTag(t.uid), t.name]));

  const result: AuditResult = {
    tokens: tokens.length,
    notReady: [],
    notRotated: [],
    secretsMissing: [],
    deadSecrets: [],
    noPull: [],
    mismatches: [],
    mismatchDetails: [],
    orphans: [],
    replacedLive: [],
    duplicateNames: [],
    sharedIds: [...currentOwners].filter(([, n]) => n > 1).map(([id]) => id),
    live: live.length,
    expected: tokens.length + tokens.reduce((n, t) => n + t.pendingRevocations.length, 0),
    pendingRevocations: tokens.reduce((n, t) => n + t.pendingRevocations.length, 0),
    pendingIssues: tokens.filter((t) => t.pendingIssue).length,
  };
  for (const t of tokens) {
    if (!t.ready) result.notReady.push(t.name);
    const secret = secrets.get(t.name);
    const rotated =
      t.credentialId !== undefined &&
      t.credentialId !== t.issuedId &&
      secret?.rotationRequest === input.rotationRequest;
    if (!rotated) result.notRotated.push(t.name);
    if (t.issuedId && t.issuedId !== t.credentialId && liveIds.has(t.issuedId))
      result.replacedLive.push(t.name);
    if (!secret?.login) {
      result.secretsMissing.push(t.name);
      continue;
    }
    if (secret.access === 'dead') result.deadSecrets.push(t.name);
    if (secret.access === 'no-pull') result.noPull.push(t.name);
    const held = bySecret.get(secret.login.password);
    const differs =
      (held !== undefined && held.id !== t.credentialId) ||
      secret.credentialId !== t.credentialId ||
      (t.username !== undefined && secret.login.username !== t.username);
    if (differs) {
      result.mismatches.push(t.name);
      const holds = held
        ? `${held.id}${held.live ? '' : ' (not live)'}`
        : 'a credential unknown to the provider';
      result.mismatchDetails.push(
        `${t.name}: Secret holds ${holds} as ${secret.login.username}, annotated ${secret.credentialId ?? 'nothing'}; ` +
          `status names ${t.credentialId ?? 'nothing'} as ${t.username ?? '?'}`,
      );
    }
  }
  for (const c of live) {
    if (named.has(c.id)) continue;
    // Names carry the UID's first 8 hex digits or more of them: the first 8 find the token.
    const tag = /^berth-([0-9a-f]{8})/.exec(c.name)?.[1];
    result.orphans.push({ id: c.id, name: c.name, token: tag ? byTag.get(tag) : undefined });
  }
  const names = new Map<string, number>();
  for (const c of live) names.set(c.name, (names.get(c.name) ?? 0) + 1);
  result.duplicateNames = [...names].filter(([, n]) => n > 1).map(([name]) => name);
  return result;
}

/** Why the audit fails, one phrase per broken rule; empty when it passes. */
export function failures(r: AuditResult): string[] {
  const out: string[] = [];
  const add = (n: number, what: string) => {
    if (n > 0) out.push(`${n} ${what}`);
  };
  add(r.notReady.length, 'not Ready');
  add(r.notRotated.length, 'not rotated');
  add(r.secretsMissing.length, 'without a Secret');
  add(r.deadSecrets.length, 'dead Secrets');
  add(r.noPull.length, 'Secrets that cannot pull');
  add(r.mismatches.length, 'mismatches');
  add(r.orphans.length, 'orphans');
  add(r.replacedLive.length, 'replaced credentials still live');
  add(r.duplicateNames.length, 'duplicate names');
  add(r.sharedIds.length, 'credentials shared by tokens');
  add(r.pendingRevocations, 'pending revocations left');
  add(r.pendingIssues, 'pending issues left');
  if (r.live !== r.expected) out.push(`${r.live} live credentials where ${r.expected} were expected`);
  return out;
}
