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
  DistributionIncomplete: 'DistributionIncomplete',
} as const;

/** Annotation that asks for one rotation per new value. */
export const ROTATE_REQUESTED_ANNOTATION = 'berth.dev/rotate-requested-at';

/** Annotations berth keeps on the Secret it writes. */
export const SecretAnnotation = {
  /** sha256 of the Secret's data, to notice edits. */
  ContentHash: 'berth.dev/content-hash',
  /** The provider's ID of the credential the Secret holds. */
  CredentialId: 'berth.dev/credential-id',
  /** The rotate-requested-at value that was last honoured. */
  RotationRequest: 'berth.dev/rotation-request',
} as const;
