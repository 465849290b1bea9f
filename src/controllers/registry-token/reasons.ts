/** Condition and event reasons of the RegistryToken controller. */
export const TokenReason = {
  RegistryNotFound: 'RegistryNotFound',
  RegistryNotReady: 'RegistryNotReady',
  RegistryNotAllowed: 'RegistryNotAllowed',
  CapabilityNotSupported: 'CapabilityNotSupported',
  SecretConflict: 'SecretConflict',
  Issued: 'Issued',
  Rotated: 'Rotated',
  Extended: 'Extended',
  Revoked: 'Revoked',
  Recovered: 'Recovered',
  OrphanRevoked: 'OrphanRevoked',
  CredentialNameTaken: 'CredentialNameTaken',
  ScopesUpdated: 'ScopesUpdated',
  /** The new credential does not reach some scopes yet (Quay: a repository that does not exist). */
  ScopesNotGranted: 'ScopesNotGranted',
  /** The credential reaches none of its scopes: the token is not Ready until one is granted. */
  NoAccess: 'NoAccess',
  DistributionIncomplete: 'DistributionIncomplete',
  /** The registry stopped admitting the token: its credentials go after a grace period. */
  AccessRefused: 'AccessRefused',
  /** The credentials of a refused token were revoked and its Secret and copies deleted. */
  AccessRevoked: 'AccessRevoked',
  /** The registry object was replaced by one at another provider registry: old credentials are out of reach. */
  CredentialsUnreachable: 'CredentialsUnreachable',
  /** A request (rotation, repair, scope edit) waits for the token's or namespace's budget. */
  Throttled: 'Throttled',
} as const;

/** Annotation that asks for one rotation per new value. */
export const ROTATE_REQUESTED_ANNOTATION = 'berth.dev/rotate-requested-at';

/**
 * Annotation berth writes, with its finalizer, before it asks a provider for a credential: the
 * name it is about to issue. If the reconcile ends before status names that credential, the next
 * one knows an issue was interrupted and finds it at the provider by name (crossplane's
 * external-create-pending). One metadata write instead of a finalizer patch and a status write.
 */
export const ISSUING_ANNOTATION = 'berth.dev/issuing';

/** Annotations berth keeps on the Secret it writes. */
export const SecretAnnotation = {
  /** sha256 of the Secret's data, to notice edits. */
  ContentHash: 'berth.dev/content-hash',
  /** The provider's ID of the credential the Secret holds. */
  CredentialId: 'berth.dev/credential-id',
  /** The rotate-requested-at value that was last honoured. */
  RotationRequest: 'berth.dev/rotation-request',
} as const;
