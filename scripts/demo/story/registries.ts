// Step 1: one ContainerRegistry per provider, created at its simulator and Ready.
import { CONTAINER_REGISTRY } from '../../../src/controllers/shared/resources.ts';
import { say, step } from '../print.ts';
import { DEMO_NAMESPACE, type DemoStack } from '../stack.ts';
import {
  apply,
  berthObject,
  type Endpoints,
  kubectlShown,
  PROVIDERS,
  type Provider,
  SHOP_LABELS,
  waitReady,
} from './common.ts';

/** Creates the three ContainerRegistries, waits for Ready, shows them; returns their endpoints. */
export async function registriesStep(stack: DemoStack): Promise<Endpoints> {
  step('One ContainerRegistry per provider');
  const { endpoints } = stack.sims;
  say('the API credentials of IONOS, Selectel and Quay are Secrets ionos-api, selectel-api, quay-api');
  await apply(stack, [
    berthObject('ContainerRegistry', PROVIDERS.ionos.registry, {
      provider: 'ionos',
      credentialsRef: { name: 'ionos-api' },
      ionos: {
        location: 'de/fra',
        garbageCollection: { days: ['Sunday'] },
        apiEndpoint: endpoints.ionos.baseUrl,
      },
    }),
    berthObject('ContainerRegistry', PROVIDERS.selectel.registry, {
      provider: 'selectel',
      credentialsRef: { name: 'selectel-api' },
      selectel: {
        projectId: endpoints.selectel.projectId,
        apiEndpoint: endpoints.selectel.apiEndpoint,
        identityEndpoint: endpoints.selectel.identityEndpoint,
      },
    }),
    berthObject('ContainerRegistry', PROVIDERS.quay.registry, {
      provider: 'quay',
      credentialsRef: { name: 'quay-api' },
      quay: { url: endpoints.quay.url, organization: 'demo', email: 'ops@demo.example' },
      // Tokens of this registry may be copied into the team's namespaces (step 3).
      allowedNamespaces: { from: 'Selector', selector: { matchLabels: SHOP_LABELS } },
    }),
  ]);
  say('berth creates each registry at its provider');
  say('and waits until the provider reports it running');
  await waitReady(stack, ['creg', '--all']);
  await kubectlShown(stack, ['get', 'containerregistries', '-n', DEMO_NAMESPACE]);
  const out = {} as Endpoints;
  for (const [provider, { registry }] of Object.entries(PROVIDERS)) {
    const object = (await stack.custom.getNamespacedCustomObject({
      ...CONTAINER_REGISTRY,
      namespace: DEMO_NAMESPACE,
      name: registry,
    })) as { status?: { endpoint?: string } };
    out[provider as Provider] = object.status?.endpoint ?? '';
  }
  return out;
}
