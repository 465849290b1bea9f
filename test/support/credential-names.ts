/**
 * Credential names as berth gives them (src/controllers/registry-token/names.ts), of the current
 * and the legacy form, for the provider clients' tests: what `listOwned` must find under each prefix.
 */
import {
  credentialName,
  credentialPrefix,
  legacyCredentialPrefix,
} from '../../src/controllers/registry-token/names.ts';

/** The RegistryToken whose credentials the tests look for. */
export const TOKEN_UID = '0a1b2c3d-0000-4000-8000-000000000000';
/** Another token whose UID starts with the same 8 hex. */
export const TWIN_UID = '0a1b2c3d-ffff-4fff-bfff-ffffffffffff';

/** The longest name berth gives: a 32-hex UID and a 10-digit counter, 49 characters. */
export const LONGEST_CREDENTIAL_NAME = credentialName('ffffffff-ffff-4fff-bfff-ffffffffffff', 9_999_999_999);

const current = (counter: number) => credentialName(TOKEN_UID, counter);
const legacy = (counter: number) => `${legacyCredentialPrefix(TOKEN_UID)}${counter}`;
const twin = credentialName(TWIN_UID, 1);

/** Names to create at a provider: this token's of both forms, the twin's, and two that are no token's. */
export const SAMPLE_CREDENTIAL_NAMES = [
  current(2),
  current(1),
  legacy(1),
  twin,
  'berth-cleanup-0a1b2c3d-1767225600',
  'someone',
];

/**
 * For each prefix berth may pass to `listOwned`, the sample names it must answer, sorted: each of
 * the token's prefixes (ownedPrefixes), and `berth-`, under which one list finds every token's.
 */
export const OWNED_UNDER_PREFIX: readonly (readonly [string, readonly string[]])[] = [
  [credentialPrefix(TOKEN_UID), [current(1), current(2)]],
  [legacyCredentialPrefix(TOKEN_UID), [legacy(1)]],
  ['berth-', SAMPLE_CREDENTIAL_NAMES.filter((name) => name.startsWith('berth-')).sort()],
];
