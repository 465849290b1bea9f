import { createProviderFactory } from '../clients/factory.ts';
import type { ControllerFactory } from '../operator.ts';
import { containerRegistryController } from './container-registry/controller.ts';

/**
 * The controllers `npm start` runs. RegistryToken and CleanupPolicy register here as they land
 * (issues #6 and #7).
 */
export const registeredControllers: ControllerFactory = (deps) => {
  const providers = createProviderFactory({
    metrics: deps.metrics,
    logger: deps.logger,
    registryHost: deps.config.providerRegistryHost,
  });
  return [containerRegistryController(deps, providers)];
};
