/**
 * The capabilities controllers depend on. Reconcilers import only this file, never a concrete
 * adapter, undici or a simulator (ARCHITECTURE.md: dependencies point one way).
 *
 * Error contract for every method: failures are the typed errors of `http/errors.ts`.
 * UnauthorizedError/ForbiddenError mean the provider credentials are wrong (AuthenticationFailed);
 * BadRequestError means the desired state is invalid for the provider (needs the user);
 * RateLimitedError carries the provider's retry hint; ServerError, ConnectionError and TimeoutError
 * are transient; SchemaMismatchError means the provider changed its API (transient, loud).
 */
import type { z } from 'zod';
import type { IonosRegistrySchema, QuaySchema, SelectelRegistrySchema } from '../crds/providers.ts';

/** The providers berth speaks to. */
export type ProviderName = 'ionos' | 'selectel' | 'quay';

/** Registry settings from a ContainerRegistry spec, tagged by provider, with the resolved name. */
export type DesiredRegistry =
  | { provider: 'ionos'; name: string; settings: z.output<typeof IonosRegistrySchema> }
  | { provider: 'selectel'; name: string; settings: z.output<typeof SelectelRegistrySchema> }
  | { provider: 'quay'; name: string; settings: z.output<typeof QuaySchema> };

/** How to find a registry: its provider ID once known, else its (deterministic) name. */
export interface RegistryRef {
  externalId?: string | undefined;
  name: string;
}

/** A registry (or Quay organization) as the provider reports it. */
export interface ObservedRegistry {
  externalId: string;
  name: string;
  /** The provider's own state word (IONOS `Running`, Selectel `ACTIVE`, ...), for status. */
  providerState: string;
  /** Usable: provisioning finished and the docker server host is known. */
  ready: boolean;
  /** Deletion in progress at the provider. */
  deleting: boolean;
  /**
   * Set when the provider reports the registry as failed (IONOS `FAILED`..., Selectel `ERROR`):
   * what it says, never a secret. Such a registry is not ready and will not become so by waiting.
   */
  failure?: string | undefined;
  /** Docker login server, e.g. `shop.cr.de-fra.ionos.com`; undefined until known. */
  server?: string | undefined;
  storageUsedBytes?: number | undefined;
  /** Names of settings that differ from the desired state (drift); empty when up to date. */
  drift: string[];
}

/** Registries capability (crossplane's observe/create/update/delete). */
export interface Registries {
  /**
   * Looks the registry up by externalId, else by name. Never mutates. Resolves undefined when it
   * does not exist (404 is not an error). Idempotent.
   */
  observe(ref: RegistryRef, desired: DesiredRegistry): Promise<ObservedRegistry | undefined>;
  /**
   * Creates the registry. Not idempotent in general: callers record the intent first and, after
   * an unknown outcome, observe by name before creating again. ConflictError: the name is taken.
   */
  create(desired: DesiredRegistry): Promise<ObservedRegistry>;
  /** Puts the mutable settings back to the desired state. Idempotent. */
  update(ref: RegistryRef & { externalId: string }, desired: DesiredRegistry): Promise<ObservedRegistry>;
  /** Starts deletion. Idempotent: an already deleted registry is not an error. */
  delete(ref: RegistryRef & { externalId: string }, desired: DesiredRegistry): Promise<void>;
}

/** Repository actions a credential may be granted. */
export type ScopeAction = 'pull' | 'push' | 'delete';

/** One grant: a repository (or pattern, `*` for all) and what may be done to it. */
export interface TokenScope {
  repository: string;
  actions: ScopeAction[];
}

/** Where a credential is issued: the registry as observed. */
export interface TokenRegistry {
  externalId: string;
  name: string;
  server: string;
  desired: DesiredRegistry;
}

/** A request to issue one credential. */
export interface IssueRequest {
  registry: TokenRegistry;
  /** Deterministic name (from the RegistryToken and a rotation counter), valid for the provider. */
  name: string;
  scopes: TokenScope[];
  /** Requested expiry; providers whose credentials do not expire ignore it. */
  expiresAt?: Date | undefined;
}

/** What `docker login` needs. */
export interface DockerLogin {
  server: string;
  username: string;
  password: string;
}

/** A credential just issued: the only moment its secret is visible. */
export interface IssuedCredential {
  id: string;
  name: string;
  login: DockerLogin;
  expiresAt?: Date | undefined;
  /**
   * What of the scopes the new credential does not reach yet, where the provider grants by
   * repository (Quay); absent where a scope is a name the registry honours whenever the
   * repository exists (IONOS) or covers the whole registry (Selectel).
   */
  scopes?: ScopeUpdate | undefined;
}

/** A credential as the provider reports it later (never with its secret). */
export interface ObservedCredential {
  id: string;
  name: string;
  expiresAt?: Date | undefined;
  /** False when disabled at the provider. */
  enabled: boolean;
}

/** How a credential can be renewed. */
export type RenewalMode = 'Rotate' | 'Extend';

/** What {@link Tokens.updateScopes} achieved. */
export interface ScopeUpdate {
  /**
   * One line per part of the scopes that could not be put in place (a repository that could not
   * be granted, say), never with a secret; empty when the credential now has exactly the scopes.
   */
  problems: string[];
  /**
   * True when the credential reaches no repository at all (every scope names a repository that
   * does not exist yet, or could not be granted): the token must not look Ready.
   */
  reachesNothing?: boolean | undefined;
}

/** Tokens capability (ESO's generate + cleanup(state)). */
export interface Tokens {
  /** Renewal modes this provider supports; `Extend` only where the expiry of a secret can move. */
  readonly renewalModes: readonly RenewalMode[];
  /** Whether issued credentials expire at all (Quay robots do not). */
  readonly expires: boolean;
  /**
   * Scope patterns are expanded against the repositories that exist when granted (Quay has no
   * pattern grants): the controller then calls {@link updateScopes} on every poll.
   */
  readonly expandsScopes?: boolean;
  /**
   * Issues a credential. Never retried automatically. ConflictError: a credential of that name
   * exists (a previous attempt committed; list, revoke and issue under the next name).
   */
  issue(request: IssueRequest): Promise<IssuedCredential>;
  /** The credential, or undefined when it does not exist (expired IONOS tokens vanish). */
  observe(registry: TokenRegistry, id: string): Promise<ObservedCredential | undefined>;
  /** Every credential whose name starts with `namePrefix`: what the operator owns, for crash recovery. */
  listOwned(registry: TokenRegistry, namePrefix: string): Promise<ObservedCredential[]>;
  /** Moves the expiry, keeping the secret. Only when renewalModes includes `Extend`. */
  extend?(registry: TokenRegistry, id: string, expiresAt: Date): Promise<ObservedCredential>;
  /** Revokes the credential. Idempotent: an already revoked one is not an error. */
  revoke(registry: TokenRegistry, id: string): Promise<void>;
  /**
   * Gives an existing credential exactly these scopes, keeping its secret (IONOS PATCH of the
   * token, Quay repository permissions). Where scopes are patterns a provider expands against the
   * repositories that exist now (Quay), calling it again grants repositories created since and
   * restores grants removed by hand; the controller calls it on every poll. Idempotent. Undefined
   * where a provider cannot change a credential's scopes: the controller rotates instead.
   */
  updateScopes?(registry: TokenRegistry, id: string, scopes: readonly TokenScope[]): Promise<ScopeUpdate>;
}

/** A manifest in a repository with the tags pointing to it. */
export interface Artifact {
  repository: string;
  digest: string;
  tags: string[];
  /** When it was last pushed; an Invalid Date when the provider does not say (never "now"). */
  pushedAt: Date;
  sizeBytes?: number | undefined;
  /** The manifest's media type where the listing says it (an index's platform manifests are separate entries). */
  mediaType?: string | undefined;
}

/** Images capability: what cleanup needs to list and delete. */
export interface Images {
  /** Every repository of the registry (pagination hidden). */
  listRepositories(registry: TokenRegistry): AsyncIterable<string>;
  /** Every manifest of a repository with its tags and push time (pagination hidden). */
  listArtifacts(registry: TokenRegistry, repository: string): AsyncIterable<Artifact>;
  /** Deletes tags (keeping manifests other tags still use). Idempotent. Undefined where the API cannot. */
  deleteTags?(registry: TokenRegistry, repository: string, tags: string[]): Promise<DeleteResult>;
  /** Deletes manifests by digest. Idempotent. Undefined where the API cannot (IONOS: use OCI). */
  deleteDigests?(registry: TokenRegistry, repository: string, digests: string[]): Promise<DeleteResult>;
  /**
   * Where these digests and tags are now, read right before deleting them, as cheaply as the API
   * allows (per digest where it can). Undefined: callers list the repository again instead.
   */
  currentTags?(registry: TokenRegistry, repository: string, wanted: WantedNow): Promise<CurrentTags>;
}

/** The digests and tags of one repository a run is about to delete. */
export interface WantedNow {
  digests: readonly string[];
  tags: readonly string[];
}

/**
 * What a repository holds now for a {@link WantedNow}: each wanted digest still there with every
 * tag on it now, each wanted tag still there with the digest it points to. Absent means gone.
 */
export interface CurrentTags {
  ofDigest: Map<string, string[]>;
  ofTag: Map<string, string>;
}

/**
 * What a batch deletion did with the names (tags or digests) it was given: those refused
 * (`failed`), those the provider said were not there (`gone`, its 404: no error, but not a
 * deletion either, and a run of nothing but those may be deleting at the wrong place), and the
 * rest deleted.
 */
export interface DeleteResult {
  failed: string[];
  gone?: string[] | undefined;
}

/** Garbage collection capability (Selectel: on demand; 409 while one runs). */
export interface GarbageCollection {
  /** Starts a collection; resolves false when one is already running. */
  start(registry: TokenRegistry): Promise<boolean>;
  /** Bytes a collection would free, where the provider says. */
  reclaimableBytes?(registry: TokenRegistry): Promise<number | undefined>;
}

/** A retention rule the provider runs by itself (Quay auto-prune): one of keepLast or olderThan. */
export interface NativeRetentionRule {
  keepLast?: number | undefined;
  /** In the provider's own duration syntax, e.g. `30d`. */
  olderThan?: string | undefined;
  /** A regular expression on tag names, and whether the rule applies to matching or to other tags. */
  tagPattern?: string | undefined;
  tagPatternMatches?: boolean | undefined;
}

/** A native policy in place: on one repository, or registry-wide (repository undefined). */
export interface NativePolicyRef {
  repository: string | undefined;
  id: string;
}

/** Native retention capability (CleanupPolicy mode: Native). */
export interface NativeRetention {
  /**
   * Ensures one policy with `rule` on each target (a repository, or undefined for the whole
   * registry) and removes the `previous` policies no longer wanted. Idempotent. Resolves undefined
   * when this instance has no native retention (Quay without FEATURE_AUTO_PRUNE).
   */
  apply(
    registry: TokenRegistry,
    targets: (string | undefined)[],
    rule: NativeRetentionRule,
    previous: NativePolicyRef[],
  ): Promise<NativePolicyRef[] | undefined>;
  /** Removes policies. Idempotent. */
  remove(registry: TokenRegistry, policies: NativePolicyRef[]): Promise<void>;
}

/** Everything one provider offers; a missing member is a capability it lacks. */
export interface Provider {
  readonly name: ProviderName;
  readonly registries: Registries;
  readonly tokens: Tokens;
  readonly images?: Images | undefined;
  readonly garbageCollection?: GarbageCollection | undefined;
  readonly nativeRetention?: NativeRetention | undefined;
  /** Checks the API credentials (e.g. Quay `GET /api/v1/user/`); throws UnauthorizedError when wrong. */
  verifyCredentials(): Promise<void>;
}

/** Which optional capabilities a provider has, for CapabilityNotSupported conditions. */
export function capabilitiesOf(provider: Provider): {
  images: boolean;
  garbageCollection: boolean;
  extend: boolean;
} {
  return {
    images: provider.images !== undefined,
    garbageCollection: provider.garbageCollection !== undefined,
    extend: provider.tokens.renewalModes.includes('Extend') && provider.tokens.extend !== undefined,
  };
}

/** The decoded `data` of a credentials Secret. */
export type CredentialData = Record<string, string>;

/** A credentials Secret that lacks what its provider needs; the message names the missing keys. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

/** Builds (or reuses) the provider for a registry's settings and credentials. */
export type ProviderFactory = (desired: DesiredRegistry, credentials: CredentialData) => Provider;

/**
 * The error vocabulary of every provider client, for controllers to tell failures apart (a 404 from
 * a 500, a conflict from a rate limit) without importing a client's transport.
 */
export {
  BadRequestError,
  ConflictError,
  ConnectionError,
  ForbiddenError,
  NotFoundError,
  ProviderError,
  RateLimitedError,
  TimeoutError,
  UnauthorizedError,
} from './http/errors.ts';
