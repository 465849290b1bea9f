// The world the chaos bench runs in: a control plane of its own (so that kube-apiserver can be
// restarted without disturbing anyone else) or a namespace on a shared one, berth's CRDs, the
// provider simulators in this process (so the audit can read their state directly) and one Ready
// ContainerRegistry at the provider under test.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { CONTAINER_REGISTRY } from '../../src/controllers/shared/resources.ts';
import { GROUP, registryTokenCrd, VERSION } from '../../src/crds/index.ts';
import { binaryPaths, repoRoot } from '../../src/dev/binaries.ts';
import { ControlPlane } from '../../src/dev/control-plane.ts';
import { loadKubeConfig } from '../../src/dev/kubeconfig.ts';
import { type RunningSimulators, startSimulators } from '../../src/simulators/all.ts';
import type { SimServer } from '../../src/simulators/core/server.ts';

const execFileAsync = promisify(execFile);

/** The providers the chaos bench can run against. */
export const CHAOS_PROVIDERS = ['ionos', 'selectel', 'quay'] as const;
/** One of {@link CHAOS_PROVIDERS}. */
export type ChaosProvider = (typeof CHAOS_PROVIDERS)[number];

/** RegistryTokens as a custom-objects resource (from the CRD descriptor, not the controller). */
export const TOKENS = { group: GROUP, version: VERSION, plural: registryTokenCrd.plural };

/** The Quay organization the bench's registry manages. */
const QUAY_ORG = 'chaos';

/** A running chaos world. */
export interface ChaosWorld {
  provider: ChaosProvider;
  namespace: string;
  /** Admin kubeconfig (the operator runs with it too). */
  kubeconfig: string;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  sims: RunningSimulators;
  /** The simulator under test: its fault injector and request log. */
  server: SimServer;
  /** The ContainerRegistry the tokens refer to (same namespace: no grant applies). */
  registryName: string;
  /** The scope every token asks for, and a repository it covers (for the pull check). */
  scope: string;
  repository: string;
  /** Restarts kube-apiserver; undefined on a shared control plane, which must not be disturbed. */
  restartApiServer: ((downtimeMs: number) => Promise<void>) | undefined;
  stop(): Promise<void>;
}

/** Options for {@link startChaosWorld}. */
export interface ChaosWorldOptions {
  provider: ChaosProvider;
  /** A shared cluster to use instead of a control plane of its own (then no apiserver restarts). */
  sharedKubeconfig?: string | undefined;
}

/** The provider's registry spec, API credentials and what a token asks for. */
function providerSetup(provider: ChaosProvider, sims: RunningSimulators, registryName: string) {
  const { ionos, selectel, quay } = sims.endpoints;
  switch (provider) {
    case 'ionos':
      return {
        spec: { ionos: { location: 'de/fra', apiEndpoint: ionos.baseUrl } },
        secret: { token: ionos.token },
        scope: 'shop/*',
        repository: 'shop/app',
      };
    case 'selectel':
      return {
        spec: {
          selectel: {
            projectId: selectel.projectId,
            apiEndpoint: selectel.apiEndpoint,
            identityEndpoint: selectel.identityEndpoint,
          },
        },
        secret: { username: selectel.username, password: selectel.password, accountId: selectel.accountId },
        scope: '*',
        // Selectel's docker path starts with the registry's name.
        repository: `${registryName}/app`,
      };
    case 'quay':
      return {
        spec: { quay: { url: quay.url, organization: QUAY_ORG, email: 'ops@chaos.example' } },
        secret: { token: quay.token },
        scope: 'app',
        repository: `${QUAY_ORG}/app`,
      };
  }
}

/** Applies deploy/crds and waits until they are served. */
async function applyCrds(kubeconfig: string): Promise<void> {
  const { kubectl } = await binaryPaths();
  const k = (...args: string[]) => execFileAsync(kubectl, ['--kubeconfig', kubeconfig, ...args]);
  // --force-conflicts: on a shared cluster other test files install the same CRDs with another manager.
  await k('apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'deploy', 'crds'));
  await k('wait', '--for=condition=Established', '--timeout=60s', '--all', 'crd');
}

/** Waits until the ContainerRegistry is Ready; returns its status. */
async function registryReady(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const cr = (await custom.getNamespacedCustomObject({ ...CONTAINER_REGISTRY, namespace, name })) as {
      status?: { conditions?: { type: string; status: string; message?: string }[] };
    };
    const ready = cr.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') return cr.status as Record<string, unknown>;
    if (Date.now() > deadline)
      throw new Error(`ContainerRegistry ${name} not Ready after 120 s: ${ready?.message ?? 'no condition'}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Starts the world. The ContainerRegistry is created here but becomes Ready only once an operator
 * runs: call {@link prepareRegistry} after starting one.
 */
export async function startChaosWorld(options: ChaosWorldOptions): Promise<ChaosWorld> {
  const { provider } = options;
  const plane = options.sharedKubeconfig
    ? undefined
    : // No controller manager: nothing here is garbage-collected or needs a ServiceAccount token.
      await ControlPlane.start({ controllerManager: false });
  const kubeconfig = plane?.kubeconfig ?? (options.sharedKubeconfig as string);
  const sims = await startSimulators({ processMs: 200 }).catch(async (err: unknown) => {
    await plane?.stop();
    throw err;
  });
  // The Quay simulator limits its API as quay.io does (5 requests/s, burst 25, 429 without
  // Retry-After): at --provider-qps=100 most of a run would be that limit, and no other simulator
  // has one. The injected 429s with Retry-After stand in for it, at every provider alike.
  sims.quay.setRateLimits(false);
  const stop = async () => {
    await sims.stop();
    await plane?.stop();
  };
  try {
    await applyCrds(kubeconfig);
    const kc = loadKubeConfig(kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const namespace = plane ? 'chaos' : `chaos-${randomBytes(3).toString('hex')}`;
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const registryName = `chaos-${provider}`;
    const setup = providerSetup(provider, sims, registryName);
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'provider-api' }, stringData: setup.secret },
    });
    await custom.createNamespacedCustomObject({
      ...CONTAINER_REGISTRY,
      namespace,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'ContainerRegistry',
        metadata: { name: registryName },
        spec: { provider, credentialsRef: { name: 'provider-api' }, ...setup.spec },
      },
    });
    return {
      provider,
      namespace,
      kubeconfig,
      core,
      custom,
      sims,
      server: sims[provider].server,
      registryName,
      scope: setup.scope,
      repository: setup.repository,
      restartApiServer: plane ? (downtimeMs) => plane.restartApiServer(downtimeMs) : undefined,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Waits until the operator made the registry Ready, then puts in place what its tokens need: on
 * Quay the repository `app`, which robots are granted (Quay has no pattern grants and berth creates
 * repositories only for push scopes).
 */
export async function prepareRegistry(world: ChaosWorld): Promise<void> {
  await registryReady(world.custom, world.namespace, world.registryName);
  if (world.provider !== 'quay') return;
  const { state } = world.sims.quay;
  const org = state.organizations.get(QUAY_ORG);
  if (!org) throw new Error(`Quay organization ${QUAY_ORG} missing although the registry is Ready`);
  if (!org.repositories.has('app')) state.addRepository(org, 'app');
}
