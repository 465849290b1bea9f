import type { CustomObjectsApi } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { CLEANUP_POLICY } from '../../src/controllers/cleanup-policy/controller.ts';
import { CONTAINER_REGISTRY } from '../../src/controllers/shared/resources.ts';
import { eventually } from './helpers.ts';
import { createContainerRegistry } from './provider-registries.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Creates a ContainerRegistry and resolves its `status.externalId` once it is Ready. */
export async function readyRegistryId(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<string> {
  await createContainerRegistry(custom, namespace, name, spec);
  const reg = await eventually(
    async () => {
      const r = (await custom.getNamespacedCustomObject({ ...CONTAINER_REGISTRY, namespace, name })) as {
        status?: { externalId?: string; conditions?: { type: string; status: string }[] };
      };
      return r.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ? r : undefined;
    },
    { what: `${name} Ready` },
  );
  return reg.status?.externalId as string;
}

/**
 * Asks a CleanupPolicy for a run now (a new value of `berth.dev/run-requested-at`, unique, no
 * clock needed) and resolves the policy once the run that answered this request is recorded.
 */
export async function requestRun<P extends { status?: { lastRun?: unknown } }>(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  timeoutMs = 60_000,
): Promise<P> {
  const stamp = `run-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await custom.patchNamespacedCustomObject(
    {
      ...CLEANUP_POLICY,
      namespace,
      name,
      body: { metadata: { annotations: { 'berth.dev/run-requested-at': stamp } } },
    },
    mergePatch,
  );
  return eventually(
    async () => {
      const p = (await custom.getNamespacedCustomObject({ ...CLEANUP_POLICY, namespace, name })) as P & {
        status?: { lastHandledRunRequestAt?: string };
      };
      return p.status?.lastHandledRunRequestAt === stamp && p.status?.lastRun ? p : undefined;
    },
    { timeoutMs, what: `${name} ran` },
  );
}
