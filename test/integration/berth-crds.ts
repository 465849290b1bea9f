import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  type KubeConfig,
  loadYaml,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { eventually, statusOf } from './helpers.ts';

const crdDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'crds');

/**
 * The CRDs as checked in under deploy/crds/ (what users install), not as built in memory. Loaded
 * with client-node's loadYaml so they become its typed models: its serializer would silently drop
 * wire-format keys such as `enum`, `default` and `x-kubernetes-validations` from a plain object.
 */
export function generatedCrds(): V1CustomResourceDefinition[] {
  return readdirSync(crdDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => loadYaml<V1CustomResourceDefinition>(readFileSync(join(crdDir, f), 'utf8')));
}

/** Creates the CRD, or replaces it when it exists (another test file may have installed it). */
async function apply(api: ApiextensionsV1Api, crd: V1CustomResourceDefinition): Promise<void> {
  const name = crd.metadata?.name ?? '';
  await eventually(
    async () => {
      try {
        await api.createCustomResourceDefinition({ body: crd });
        return true;
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
      const current = await api.readCustomResourceDefinition({ name });
      const body: V1CustomResourceDefinition = {
        ...crd,
        metadata: { ...crd.metadata, resourceVersion: current.metadata?.resourceVersion ?? '' },
      };
      await api.replaceCustomResourceDefinition({ name, body });
      return true;
    },
    { what: `CRD ${name} applied` },
  );
}

/**
 * Installs berth's CRDs from deploy/crds/ idempotently and waits until each is Established and
 * actually serves requests. CRDs are cluster-scoped and shared by every test file of a run, so they
 * are never deleted afterwards.
 */
export async function installBerthCrds(
  kc: KubeConfig,
  namespace: string,
): Promise<V1CustomResourceDefinition[]> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const crds = generatedCrds();
  for (const crd of crds) await apply(api, crd);
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    await eventually(
      async () => {
        const got = await api.readCustomResourceDefinition({ name });
        return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      },
      { what: `CRD ${name} Established` },
    );
    // Discovery reaches every handler a moment after Established; a list proves the resource is served.
    await eventually(
      () =>
        custom.listNamespacedCustomObject({
          group: crd.spec.group,
          version: crd.spec.versions[0]?.name ?? '',
          namespace,
          plural: crd.spec.names.plural,
        }),
      { what: `${crd.spec.names.plural} served` },
    );
  }
  return crds;
}
