import { createProviderFactory, type ProviderFactoryOptions } from './clients/factory.ts';
import { createOciClient } from './clients/oci/client.ts';
import { registryBaseUrl } from './clients/oci/origin.ts';
import { cleanupPolicyController } from './controllers/cleanup-policy/controller.ts';
import type { ManifestDeleterFactory } from './controllers/cleanup-policy/execute.ts';
import { manifestFacts } from './controllers/cleanup-policy/oci-facts.ts';
import { containerRegistryController } from './controllers/container-registry/controller.ts';
import { registryTokenController } from './controllers/registry-token/controller.ts';
import type { ControllerFactory } from './operator.ts';

/** Provider settings no flag carries: for tests whose simulators differ from the real APIs. */
export type TestProviderOptions = Pick<ProviderFactoryOptions, 'ionosMinTokenLifetimeMs'>;

/**
 * The controllers wired to the concrete provider clients, with provider settings for tests
 * (a simulator with a shorter IONOS minimum token lifetime, say); production passes none.
 */
export function controllersWith(testOptions: TestProviderOptions = {}): ControllerFactory {
  return (deps) => {
    const { providerQps, providerBurst } = deps.config;
    const providers = createProviderFactory({
      metrics: deps.metrics,
      logger: deps.logger,
      registryHost: deps.config.providerRegistryHost,
      now: () => deps.clock.now(),
      // For quotas above a provider's published limit; both flags or the defaults per provider.
      ...(providerQps !== undefined
        ? {
            limits: { qps: providerQps, burst: providerBurst ?? Math.ceil(providerQps * 2), concurrency: 16 },
          }
        : {}),
      ...testOptions,
    });
    const oci: ManifestDeleterFactory = (provider, server, login, reach) => {
      const client = createOciClient({
        baseUrl: reach?.plainHttp ? `http://${server}` : registryBaseUrl(server),
        provider,
        credentials: { username: login.username, password: login.password },
        metrics: deps.metrics,
        logger: deps.logger,
      });
      return {
        deleteManifest: (repository, digest) => client.deleteManifest(repository, digest),
        exists: async (repository, digest) => (await client.headManifest(repository, digest)) !== undefined,
        facts: (repository, digest) => manifestFacts(client, repository, digest),
      };
    };
    return [
      containerRegistryController(deps, providers),
      registryTokenController(deps, providers),
      cleanupPolicyController(deps, providers, oci),
    ];
  };
}

/** The controllers `npm start` runs, wired to the concrete provider clients. */
export const registeredControllers: ControllerFactory = controllersWith();
