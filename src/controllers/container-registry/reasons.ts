import { ProviderReason } from '../shared/provider-errors.ts';

/** Condition reasons and event reasons of the ContainerRegistry controller. */
export const RegistryReason = {
  ...ProviderReason,
  /** The credentials Secret is missing. */
  CredentialsNotFound: 'CredentialsNotFound',
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
  /** Deleted, and nothing was at the provider: a create berth started made no registry. */
  NotCreated: 'NotCreated',
  /** The registry vanished at the provider and is being created again. */
  Recreating: 'Recreating',
} as const;
