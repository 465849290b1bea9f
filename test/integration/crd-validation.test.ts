import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  type V1CustomResourceDefinition,
  type V1Secret,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { installBerthCrds } from './berth-crds.ts';
import { immutableCases, invalidCases } from './crd-validation.cases.ts';
import { adminKubeConfig, createNamespace, statusOf, uniqueName } from './helpers.ts';

const kc = adminKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);

const group = 'berth.dev';
const version = 'v1alpha1';
const plurals: Record<string, string> = {
  ContainerRegistry: 'containerregistries',
  RegistryToken: 'registrytokens',
  CleanupPolicy: 'cleanuppolicies',
};

const examplesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');

let namespace = '';
let crds: V1CustomResourceDefinition[] = [];

function target(kind: string) {
  return { group, version, namespace, plural: plurals[kind] ?? '' };
}

function body(kind: string, name: string, spec: unknown): KubernetesObject & { spec: unknown } {
  return { apiVersion: `${group}/${version}`, kind, metadata: { name }, spec };
}

/** The rejection of a call, or a failure when it succeeded. */
async function rejection(call: Promise<unknown>): Promise<{ status: number | undefined; body: string }> {
  const err = await call.then(
    () => expect.fail('the API server accepted the object'),
    (e: unknown) => e,
  );
  return { status: statusOf(err), body: String((err as { body?: unknown }).body) };
}

beforeAll(async () => {
  namespace = await createNamespace(kc, 'crd-validation');
  crds = await installBerthCrds(kc, namespace);
});

describe('examples/', () => {
  const docs = readdirSync(examplesDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(examplesDir, file), 'utf8')).map(
        (d) => [file, d.toJS() as KubernetesObject] as const,
      ),
    );

  it('covers every kind and every provider', () => {
    const kinds = new Set(docs.map(([, d]) => d.kind));
    expect([...kinds].sort()).toEqual(['CleanupPolicy', 'ContainerRegistry', 'RegistryToken', 'Secret']);
    const providers = docs.flatMap(([, d]) =>
      d.kind === 'ContainerRegistry' ? [(d as { spec: { provider: string } }).spec.provider] : [],
    );
    expect(providers.sort()).toEqual(['ionos', 'quay', 'selectel']);
  });

  it.each(docs)('%s: %s is accepted', async (_file, doc) => {
    if (doc.kind === 'Secret') {
      await core.createNamespacedSecret({ namespace, body: doc as V1Secret, dryRun: 'All' });
      return;
    }
    const created = (await custom.createNamespacedCustomObject({
      ...target(doc.kind ?? ''),
      body: doc,
      dryRun: 'All',
    })) as { spec: Record<string, unknown> };
    // What the server stored is a superset of what was sent: defaults, never rewrites.
    expect(created.spec).toMatchObject((doc as { spec: Record<string, unknown> }).spec);
  });
});

describe('invalid objects are rejected with the field named', () => {
  it.each(invalidCases)('$kind: $why ($path)', async ({ kind, spec, name, path }) => {
    const { status, body: message } = await rejection(
      custom.createNamespacedCustomObject({
        ...target(kind),
        body: body(kind, name ?? uniqueName('bad'), spec),
        dryRun: 'All',
      }),
    );
    expect(status).toBe(422);
    expect(message).toContain(`${path}:`);
  });
});

describe('immutable fields', () => {
  it.each(immutableCases)(
    'ContainerRegistry: $why cannot change',
    async ({ spec, change, path, message: expected }) => {
      const name = uniqueName('imm');
      const t = target('ContainerRegistry');
      await custom.createNamespacedCustomObject({ ...t, body: body('ContainerRegistry', name, spec) });
      const current = (await custom.getNamespacedCustomObject({ ...t, name })) as KubernetesObject & {
        spec: Record<string, unknown>;
      };
      const { status, body: message } = await rejection(
        custom.replaceNamespacedCustomObject({
          ...t,
          name,
          body: { ...current, spec: change(current.spec) },
        }),
      );
      expect(status).toBe(422);
      expect(message).toContain(`${path}:`);
      expect(message).toContain(expected ?? 'immutable');
    },
  );

  it('allows changing mutable fields of the same object', async () => {
    const name = uniqueName('mut');
    const t = target('ContainerRegistry');
    await custom.createNamespacedCustomObject({
      ...t,
      body: body('ContainerRegistry', name, {
        provider: 'ionos',
        credentialsRef: { name: 'a' },
        ionos: { location: 'de/fra' },
      }),
    });
    const current = (await custom.getNamespacedCustomObject({ ...t, name })) as KubernetesObject & {
      spec: Record<string, unknown>;
    };
    const changed = {
      ...current.spec,
      deletionPolicy: 'Delete',
      ionos: { location: 'de/fra', vulnerabilityScanning: true, garbageCollection: { days: ['Monday'] } },
    };
    const replaced = (await custom.replaceNamespacedCustomObject({
      ...t,
      name,
      body: { ...current, spec: changed },
    })) as {
      spec: { ionos: { garbageCollection: { time: string } } };
    };
    expect(replaced.spec.ionos.garbageCollection.time).toBe('03:00:00+00:00');
  });
});

describe('what kubectl shows', () => {
  it('installs every kind with short names, the berth category and printer columns', () => {
    const summary = crds.map((crd) => ({
      kind: crd.spec.names.kind,
      shortNames: crd.spec.names.shortNames,
      categories: crd.spec.names.categories,
      columns: crd.spec.versions[0]?.additionalPrinterColumns?.map((c) => c.name),
      status: crd.spec.versions[0]?.subresources?.status,
    }));
    expect(summary).toEqual(
      expect.arrayContaining([
        {
          kind: 'ContainerRegistry',
          shortNames: ['creg'],
          categories: ['berth'],
          columns: ['Provider', 'Endpoint', 'Ready', 'Reason', 'Age'],
          status: {},
        },
        {
          kind: 'RegistryToken',
          shortNames: ['rtok'],
          categories: ['berth'],
          columns: ['Registry', 'Expires', 'Renews', 'Ready', 'Reason', 'Age'],
          status: {},
        },
        {
          kind: 'CleanupPolicy',
          shortNames: ['cpol'],
          categories: ['berth'],
          columns: ['Registry', 'Last Run', 'Next Run', 'Ready', 'Reason', 'Age'],
          status: {},
        },
      ]),
    );
  });

  it('describes every top-level spec field for kubectl explain, as served', async () => {
    const api = kc.makeApiClient(ApiextensionsV1Api);
    for (const crd of crds) {
      const served = await api.readCustomResourceDefinition({ name: crd.metadata?.name ?? '' });
      const spec = served.spec.versions[0]?.schema?.openAPIV3Schema?.properties?.spec;
      expect(spec?.description).toBeTruthy();
      const undocumented = Object.entries(spec?.properties ?? {})
        .filter(([, field]) => !field.description)
        .map(([field]) => field);
      expect(undocumented, crd.spec.names.kind).toEqual([]);
    }
  });
});
