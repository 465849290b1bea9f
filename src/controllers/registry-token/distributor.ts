import type { V1Secret } from '@kubernetes/client-node';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import type { RegistryToken } from '../../crds/registry-token.ts';

/** What distribution reports back. */
export interface DistributionOutcome {
  /** Namespaces (other than the token's) holding an up-to-date copy, sorted. */
  namespacesServed: string[];
  /** Targets that were skipped, each with why (never a secret value). */
  problems: string[];
}

/** Copies the token's Secret to other namespaces and attaches it to ServiceAccounts. */
export interface TokenDistributor {
  distribute(
    token: RegistryToken,
    secret: V1Secret | undefined,
    registry: ContainerRegistry,
  ): Promise<DistributionOutcome>;
  /** Deletes every copy and removes the Secret from the ServiceAccounts it was added to. */
  undistribute(token: RegistryToken, secretName: string): Promise<void>;
}
