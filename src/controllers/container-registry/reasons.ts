/** Condition reasons and event reasons of the ContainerRegistry controller. */
export const RegistryReason = {
  /** The credentials Secret is missing. */
  CredentialsNotFound: 'CredentialsNotFound',
  /** The provider refused the credentials (401/403), or the Secret lacks keys. */
  AuthenticationFailed: 'AuthenticationFailed',
  /** A registry of that name exists and berth may not take it over. */
  AlreadyExists: 'AlreadyExists',
  /** The provider rejected the desired settings (400). */
  ProviderRejected: 'ProviderRejected',
  /** The provider asked us to slow down. */
  RateLimited: 'RateLimited',
  /** The provider failed (5xx, connection, timeout, unexpected body). */
  ProviderError: 'ProviderError',
  /**
   * The provider reports the registry as failed (IONOS `FAILED`..., Selectel `ERROR`): Stalled,
   * yet polled at observeInterval so that a repair at the provider is noticed.
   */
  RegistryFailed: 'RegistryFailed',
  /** Created, waiting for the provider to finish provisioning. */
  Provisioning: 'Provisioning',
  /** Deletion requested at the provider, waiting for it to finish. */
  Deleting: 'Deleting',
  Created: 'Created',
  Adopted: 'Adopted',
  Updated: 'Updated',
  DriftCorrected: 'DriftCorrected',
  Deleted: 'Deleted',
  Retained: 'Retained',
  /** The registry vanished at the provider and is being created again. */
  Recreating: 'Recreating',
} as const;
