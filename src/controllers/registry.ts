import { createProviderFactory } from '../clients/factory.ts';
import type { ControllerFactory } from '../operator.ts';
import { containerRegistryController } from './container-registry/controller.ts';
import { registryTokenController } from './registry-token/controller.ts';

/**
 * The controllers `npm start` runs. CleanupPolicy registers here when it lands (issue #7).
 */
export const registeredControllers: ControllerFactory = (deps) => {
  const providers = createProviderFactory({
    metrics: deps.metrics,
    logger: deps.logger,
    registryHost: deps.config.providerRegistryHost,
  });
  return [containerRegistryController(deps, providers), registryTokenController(deps, providers)];
};
