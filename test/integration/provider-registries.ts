import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { CONTAINER_REGISTRY } from '../../src/controllers/shared/resources.ts';
import type { SimulatorEndpoints } from '../../src/simulators/all.ts';

/** The providers berth supports, in the order the suites run them. */
export const PROVIDERS = ['ionos', 'selectel', 'quay'] as const;

/** A provider's ContainerRegistry on the simulators, and what a token there can use. */
export interface ProviderRegistry {
  spec: Record<string, unknown>;
  /** `stringData` of the API credentials Secret `api-<provider>`. */
  secret: Record<string, string>;
  /** A repository (as a docker path below the registry host) that `scope` covers. */
  repository: string;
  /** A scope pattern covering `repository`. */
  scope: string;
}

/** One ContainerRegistry per provider, pointing at the simulators. */
export function providerRegistries(
  endpoints: SimulatorEndpoints,
): Record<(typeof PROVIDERS)[number], ProviderRegistry> {
  const { ionos, selectel, quay } = endpoints;
  return {
    ionos: {
      spec: {
        provider: 'ionos',
        credentialsRef: { name: 'api-ionos' },
        ionos: { location: 'de/fra', apiEndpoint: ionos.baseUrl },
      },
      secret: { token: ionos.token },
      repository: 'shop/app',
      scope: 'shop/*',
    },
    selectel: {
      spec: {
        provider: 'selectel',
        credentialsRef: { name: 'api-selectel' },
        selectel: {
          projectId: selectel.projectId,
          apiEndpoint: selectel.apiEndpoint,
          identityEndpoint: selectel.identityEndpoint,
        },
      },
      secret: { username: selectel.username, password: selectel.password, accountId: selectel.accountId },
      repository: 'reg-selectel/app',
      scope: '*',
    },
    quay: {
      spec: {
        provider: 'quay',
        credentialsRef: { name: 'api-quay' },
        quay: { url: quay.url, organization: 'acme', email: 'ops@acme.example' },
      },
      secret: { token: quay.token },
      repository: 'acme/app',
      scope: 'app',
    },
  };
}

/**
 * Creates the API credentials Secret and a ContainerRegistry `reg-<provider>` for each provider
 * in `namespace` (Selectel's registry name is also its docker path, hence `reg-selectel/app`).
 */
export async function createProviderRegistries(
  kc: KubeConfig,
  namespace: string,
  endpoints: SimulatorEndpoints,
  options: { observeInterval?: string } = {},
): Promise<Record<(typeof PROVIDERS)[number], ProviderRegistry>> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const registries = providerRegistries(endpoints);
  for (const provider of PROVIDERS) {
    const { spec, secret } = registries[provider];
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: `api-${provider}` }, stringData: secret },
    });
    await createContainerRegistry(custom, namespace, `reg-${provider}`, {
      ...spec,
      ...(options.observeInterval ? { observeInterval: options.observeInterval } : {}),
    });
  }
  return registries;
}

/** Creates a ContainerRegistry object with this spec. */
export async function createContainerRegistry(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await custom.createNamespacedCustomObject({
    ...CONTAINER_REGISTRY,
    namespace,
    body: { apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerRegistry', metadata: { name }, spec },
  });
}
