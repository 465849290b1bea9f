// The baseline: a script that does only the work no operator can avoid per RegistryToken (one
// provider call to issue the credential, one Secret create, one status write), 8 at a time, with
// the same provider client berth uses. berth is measured against it in the same run.
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { createProviderFactory } from '../../src/clients/factory.ts';
import type { TokenRegistry } from '../../src/clients/provider.ts';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { dockerConfigJson } from '../../src/controllers/registry-token/docker-config.ts';
import { desiredOf } from '../../src/controllers/shared/desired.ts';
import type { ContainerRegistry } from '../../src/crds/container-registry.ts';

/** What the baseline works on. */
export interface MinimalInput {
  /** Its own identity, so the audit log separates its requests. */
  kubeconfig: string;
  namespace: string;
  registry: ContainerRegistry;
  credentials: Record<string, string>;
  /** How many RegistryTokens to expect in the namespace. */
  count: number;
  concurrency: number;
  /** The provider client's rate limit, as berth's (--provider-qps). */
  providerQps: number;
}

/** Serves every RegistryToken in the namespace once; resolves when `count` are Ready. */
export async function runMinimal(input: MinimalInput): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(input.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const limits = { qps: input.providerQps, burst: Math.ceil(input.providerQps * 2), concurrency: 16 };
  const provider = createProviderFactory({ limits })(desiredOf(input.registry), input.credentials);
  const registry: TokenRegistry = {
    externalId: input.registry.status?.externalId ?? '',
    name: input.registry.status?.registryName ?? '',
    server: input.registry.status?.server ?? '',
    desired: desiredOf(input.registry),
  };
  const done = new Set<string>();
  const inFlight = new Set<string>();
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const serve = async (token: { metadata: { name: string; uid: string; generation: number } }) => {
    const { name, uid, generation } = token.metadata;
    const issued = await provider.tokens.issue({
      registry,
      name: `min-${uid.slice(0, 8)}`,
      scopes: [{ repository: 'shop/*', actions: ['pull'] }],
      expiresAt: new Date(Date.now() + 720 * 3_600_000),
    });
    await core.createNamespacedSecret({
      namespace: input.namespace,
      body: {
        metadata: { name },
        type: 'kubernetes.io/dockerconfigjson',
        stringData: { '.dockerconfigjson': dockerConfigJson(issued.login) },
      },
    });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await custom.patchNamespacedCustomObjectStatus(
      {
        ...REGISTRY_TOKEN,
        namespace: input.namespace,
        name,
        body: {
          status: {
            observedGeneration: generation,
            credentialId: issued.id,
            conditions: [
              { type: 'Ready', status: 'True', reason: 'Succeeded', message: '', lastTransitionTime: now },
            ],
          },
        },
      },
      mergePatch,
    );
    done.add(name);
  };
  while (done.size < input.count) {
    const list = (await custom.listNamespacedCustomObject({
      ...REGISTRY_TOKEN,
      namespace: input.namespace,
    })) as {
      items: { metadata: { name: string; uid: string; generation: number } }[];
    };
    const todo = list.items.filter((t) => !done.has(t.metadata.name) && !inFlight.has(t.metadata.name));
    await Promise.all(
      Array.from({ length: input.concurrency }, async () => {
        for (let t = todo.shift(); t; t = todo.shift()) {
          inFlight.add(t.metadata.name);
          await serve(t);
          inFlight.delete(t.metadata.name);
        }
      }),
    );
    if (done.size < input.count) await new Promise((r) => setTimeout(r, 200));
  }
}
