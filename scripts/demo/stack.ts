// What the story runs on: a local control plane with berth's CRDs, the provider simulators with a
// real registry behind their token service, and the operator, all on this machine.
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { registeredControllers } from '../../src/composition.ts';
import { parseConfig } from '../../src/config.ts';
import { CLEANUP_POLICY } from '../../src/controllers/cleanup-policy/controller.ts';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import type { ResourceType } from '../../src/controllers/runtime/resource.ts';
import { CONTAINER_REGISTRY } from '../../src/controllers/shared/resources.ts';
import { binaryPaths, repoRoot } from '../../src/dev/binaries.ts';
import { ControlPlane } from '../../src/dev/control-plane.ts';
import { loadKubeConfig } from '../../src/dev/kubeconfig.ts';
import { startSimulatorsWithRegistry } from '../../src/dev/providers.ts';
import type { RunningRegistry } from '../../src/dev/registry.ts';
import { createLogger } from '../../src/log.ts';
import { type RunningOperator, startOperator } from '../../src/operator.ts';
import type { RunningSimulators } from '../../src/simulators/all.ts';
import { say } from './print.ts';
import { berth, kubectl, type Ran } from './tools.ts';

/** The namespace the demo's berth objects live in. */
export const DEMO_NAMESPACE = 'berth-demo';
/** The namespaces a token is distributed to (labelled `team=shop`). */
export const SHOP_NAMESPACES = ['shop-dev', 'shop-staging', 'shop-prod'];

/** Everything the story runs on, and the commands a user would type against it. */
export interface DemoStack {
  kubeconfig: string;
  /** Directory of the cached kubectl, for the `--keep` hints. */
  kubectlDir: string;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  sims: RunningSimulators;
  registry: RunningRegistry;
  operator: RunningOperator;
  kubectl(args: string[], stdin?: string): Promise<string>;
  berth(args: string[]): Promise<Ran>;
  /** Stops the operator, the registry, the simulators and the control plane. */
  stop(): Promise<void>;
}

/**
 * Starts the control plane, installs the CRDs and waits until each is served, starts the
 * simulators and the registry, creates the demo namespace with the providers' API credentials,
 * and starts the operator (log level warn, or `BERTH_DEMO_LOG_LEVEL`: a normal run prints none of
 * its lines).
 */
export async function startDemoStack(): Promise<DemoStack> {
  // What has started so far, stopped in reverse order when a later part fails or at the end.
  const started: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const stopOne of started.splice(0).reverse()) await stopOne();
  };
  try {
    const plane = await ControlPlane.start();
    started.push(() => plane.stop());
    const { kubeconfig } = plane;
    const k = (args: string[], stdin?: string) => kubectl(kubeconfig, args, stdin);
    say(`control plane (etcd, kube-apiserver, kube-controller-manager) ready at ${plane.state.server}`);
    const kc = loadKubeConfig(kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    await k(['apply', '-f', join(repoRoot, 'deploy', 'crds')]);
    await k(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    for (const kind of [CONTAINER_REGISTRY, REGISTRY_TOKEN, CLEANUP_POLICY]) await waitServed(custom, kind);
    say('CRDs installed: containerregistries, registrytokens, cleanuppolicies (berth.dev/v1alpha1)');

    const providers = await startSimulatorsWithRegistry({ processMs: 1_000 });
    started.push(() => providers.stop());
    const { sims, registry } = providers;
    say(
      `simulators: IONOS ${sims.endpoints.ionos.baseUrl}, Selectel ${sims.endpoints.selectel.apiEndpoint}, Quay ${sims.endpoints.quay.url}`,
    );
    say(`registry: a real CNCF distribution registry at ${registry.host}, logins checked by the simulators`);

    await createApiSecrets(core, sims);
    const operator = await startOperator(
      parseConfig(
        [
          `--namespaces=${DEMO_NAMESPACE}`,
          `--distribution-namespaces=${SHOP_NAMESPACES.join(',')}`,
          '--leader-elect=false',
          '--metrics-addr=127.0.0.1:0',
          `--provider-registry-host=${registry.host}`,
        ],
        {},
      ),
      registeredControllers,
      { kubeConfig: kc, logger: createLogger(process.env.BERTH_DEMO_LOG_LEVEL ?? 'warn') },
    );
    started.push(() => operator.stop('demo done'));
    say(`operator running in this process; metrics at http://${operator.health.address}/metrics`);

    return {
      kubeconfig,
      kubectlDir: dirname((await binaryPaths()).kubectl),
      core,
      custom,
      sims,
      registry,
      operator,
      kubectl: k,
      berth: (args) => berth(kubeconfig, args),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The demo namespace, with the providers' API credentials as the ContainerRegistries name them. */
async function createApiSecrets(core: CoreV1Api, sims: RunningSimulators): Promise<void> {
  await core.createNamespace({ body: { metadata: { name: DEMO_NAMESPACE } } });
  const apiSecrets: Record<string, Record<string, string>> = {
    'ionos-api': { token: sims.endpoints.ionos.token },
    'selectel-api': {
      username: sims.endpoints.selectel.username,
      password: sims.endpoints.selectel.password,
      accountId: sims.endpoints.selectel.accountId,
    },
    'quay-api': { token: sims.endpoints.quay.token },
  };
  for (const [name, stringData] of Object.entries(apiSecrets))
    await core.createNamespacedSecret({
      namespace: DEMO_NAMESPACE,
      body: { metadata: { name }, stringData },
    });
}

/**
 * Waits until the API server serves a new kind from its watch cache: a list at resourceVersion 0
 * is what an informer starts with, and it answers 429 while that cache is still being filled.
 * Starting the operator after this keeps its informers from seeing those 429s.
 */
async function waitServed(custom: CustomObjectsApi, kind: ResourceType): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await custom.listClusterCustomObject({
        group: kind.group,
        version: kind.version,
        plural: kind.plural,
        resourceVersion: '0',
        limit: 1,
      });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${kind.plural} not served after 60s`, { cause: err });
      await sleep(200);
    }
  }
}
