// The world a benchmark runs in: a local control plane with an audit log, berth's CRDs, the
// provider simulators and one IONOS ContainerRegistry, and ServiceAccount identities so that the
// audit log tells the operator's requests from the benchmark's own.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { CONTAINER_REGISTRY } from '../../src/controllers/shared/resources.ts';
import { binaryPaths, repoRoot } from '../../src/dev/binaries.ts';
import { ControlPlane } from '../../src/dev/control-plane.ts';
import { loadKubeConfig, mintServiceAccountKubeconfig } from '../../src/dev/kubeconfig.ts';
import { type RunningSimulators, startSimulators } from '../../src/simulators/all.ts';

const execFileAsync = promisify(execFile);

/** The namespace holding the registry, its credentials and the identities. */
export const HOME = 'bench';

/** A running benchmark world. */
export interface World {
  plane: ControlPlane;
  sims: RunningSimulators;
  kubeconfig: string;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  /** Writes a kubeconfig for a ServiceAccount with cluster-admin: its requests are its own in the audit log. */
  identity(name: string): Promise<{ kubeconfig: string; user: string }>;
  stop(): Promise<void>;
}

/** Starts the control plane (with an audit log), the CRDs, the simulators and a Ready-to-use IONOS registry. */
export async function startWorld(options: { observeInterval?: string } = {}): Promise<World> {
  const plane = await ControlPlane.start({ auditLog: true });
  const { kubectl } = await binaryPaths();
  const k = (...args: string[]) => execFileAsync(kubectl, ['--kubeconfig', plane.kubeconfig, ...args]);
  await k('apply', '--server-side', '-f', join(repoRoot, 'deploy', 'crds'));
  await k('wait', '--for=condition=Established', '--timeout=60s', '--all', 'crd');
  const sims = await startSimulators({ processMs: 200 });
  const kc = loadKubeConfig(plane.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespace({ body: { metadata: { name: HOME } } });
  await core.createNamespacedSecret({
    namespace: HOME,
    body: { metadata: { name: 'ionos-api' }, stringData: { token: sims.endpoints.ionos.token } },
  });
  await custom.createNamespacedCustomObject({
    ...CONTAINER_REGISTRY,
    namespace: HOME,
    body: {
      apiVersion: 'berth.dev/v1alpha1',
      kind: 'ContainerRegistry',
      metadata: { name: 'bench' },
      spec: {
        provider: 'ionos',
        credentialsRef: { name: 'ionos-api' },
        ionos: { location: 'de/fra', apiEndpoint: sims.endpoints.ionos.baseUrl },
        allowedNamespaces: { from: 'All' },
        ...(options.observeInterval ? { observeInterval: options.observeInterval } : {}),
        // Every bench token asks for pull on shop/*: the default grant ({namespace}/*) would refuse it.
        grants: [{ repositories: ['shop/*'], actions: ['pull'] }],
      },
    },
  });
  return {
    plane,
    sims,
    kubeconfig: plane.kubeconfig,
    core,
    custom,
    async identity(name) {
      await core.createNamespacedServiceAccount({ namespace: HOME, body: { metadata: { name } } });
      await rbac.createClusterRoleBinding({
        body: {
          metadata: { name: `bench-${name}` },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name, namespace: HOME }],
        },
      });
      const file = join(plane.state.dir, `${name}.kubeconfig`);
      await mintServiceAccountKubeconfig(kc, HOME, name, file, 24 * 3600);
      return { kubeconfig: file, user: `system:serviceaccount:${HOME}:${name}` };
    },
    async stop() {
      await sims.stop();
      await plane.stop();
    },
  };
}
