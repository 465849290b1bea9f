import { CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { Controller, type Reconciler } from '../../src/controllers/runtime/controller.ts';
import type { ResourceType } from '../../src/controllers/runtime/resource.ts';
import { patchStatusIfChanged } from '../../src/controllers/runtime/status.ts';
import {
  API_VERSION,
  allCrds,
  CleanupPolicySchema,
  ContainerRegistrySchema,
  GROUP,
  RegistryTokenSchema,
  VERSION,
} from '../../src/crds/index.ts';
import { kstatusOf, kstatusViolations } from '../support/kstatus.ts';
import { kstatusBinary, upstreamKstatus } from '../support/kstatus-upstream.ts';
import { installBerthCrds } from './berth-crds.ts';
import { adminKubeConfig, createNamespace, eventually, testLogger, uniqueName } from './helpers.ts';

const kc = adminKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);

type Served = KubernetesObject & {
  metadata: { name: string; generation: number; resourceVersion: string };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; observedGeneration?: number }[];
  };
};

/** A minimal valid spec of each kind, and the schema the controllers parse it with. */
const kinds: { kind: string; schema: z.ZodType; spec: Record<string, unknown> }[] = [
  {
    kind: 'ContainerRegistry',
    schema: ContainerRegistrySchema,
    spec: { provider: 'ionos', credentialsRef: { name: 'ionos-api' }, ionos: { location: 'de/fra' } },
  },
  {
    kind: 'RegistryToken',
    schema: RegistryTokenSchema,
    spec: { registryRef: { name: 'shop' }, scopes: [{ repository: 'shop/*', actions: ['pull'] }] },
  },
  {
    kind: 'CleanupPolicy',
    schema: CleanupPolicySchema,
    spec: {
      registryRef: { name: 'shop' },
      schedule: '0 3 * * *',
      repositories: { include: ['shop/**'] },
      rules: { keepLast: 10 },
    },
  },
];

function typeOf(kind: string): ResourceType {
  const crd = allCrds.find((d) => d.kind === kind);
  if (!crd) throw new Error(`no CRD for ${kind}`);
  return { group: GROUP, version: VERSION, kind, plural: crd.plural };
}

let namespace = '';

/** Creates an object with a random name; `status` as a manifest might carry one, `labels` on metadata. */
async function create(
  kind: string,
  spec: unknown,
  { status, labels }: { status?: unknown; labels?: Record<string, string> } = {},
): Promise<Served> {
  const metadata = { name: uniqueName(kind.toLowerCase()), ...(labels ? { labels } : {}) };
  const body = { apiVersion: API_VERSION, kind, metadata, spec, ...(status ? { status } : {}) };
  return (await custom.createNamespacedCustomObject({ ...typeOf(kind), namespace, body })) as Served;
}

async function read(kind: string, name: string): Promise<Served> {
  return (await custom.getNamespacedCustomObject({ ...typeOf(kind), namespace, name })) as Served;
}

beforeAll(async () => {
  namespace = await createNamespace(kc, 'kstatus-default');
  await installBerthCrds(kc, namespace);
});

describe('a berth object before berth has written its status', () => {
  it.each(kinds)(
    '$kind reads back with status.observedGeneration -1, which kstatus calls InProgress',
    async ({ kind, spec }) => {
      const created = await create(kind, spec);
      expect(created.metadata.generation).toBe(1);
      expect(created.status).toEqual({ observedGeneration: -1 });
      const got = await read(kind, created.metadata.name);
      expect(got.status).toEqual({ observedGeneration: -1 });
      // What an informer's list sees, decoded from storage like every watch event.
      const list = (await custom.listNamespacedCustomObject({ ...typeOf(kind), namespace })) as {
        items: Served[];
      };
      expect(list.items.find((o) => o.metadata.name === created.metadata.name)?.status).toEqual({
        observedGeneration: -1,
      });
      expect(kstatusOf(got)).toBe('InProgress');
    },
  );

  it.skipIf(!kstatusBinary())(
    'is InProgress for upstream kstatus too, which Flux health checks use',
    async () => {
      const objects: Served[] = [];
      for (const { kind, spec } of kinds) objects.push(await create(kind, spec));
      const results = await upstreamKstatus(objects);
      expect(results.map((r) => [r.kind, r.status, r.message])).toEqual(
        kinds.map(({ kind }) => [
          kind,
          'InProgress',
          `${kind} generation is 1, but latest observed generation is -1`,
        ]),
      );
    },
  );

  it('starts at -1 even when the applied manifest carries a status (copied from another cluster)', async () => {
    const copied = {
      observedGeneration: 7,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          observedGeneration: 7,
          lastTransitionTime: '2026-11-30T05:00:00Z',
          reason: 'Succeeded',
          message: 'ready elsewhere',
        },
      ],
    };
    const created = await create('RegistryToken', kinds[1]?.spec, { status: copied });
    expect((await read('RegistryToken', created.metadata.name)).status).toEqual({ observedGeneration: -1 });
  });

  it('accepts a status write over the default, after which kstatus follows what was written', async () => {
    const created = await create('RegistryToken', kinds[1]?.spec);
    const type = typeOf('RegistryToken');
    const ready = {
      type: 'Ready',
      status: 'True',
      observedGeneration: 1,
      lastTransitionTime: '2026-11-30T05:00:00Z',
      reason: 'Succeeded',
      message: 'ok',
    };
    await patchStatusIfChanged(
      custom,
      type,
      { namespace, name: created.metadata.name },
      created.status,
      { observedGeneration: 1, conditions: [ready] },
      created.metadata.resourceVersion,
    );
    const got = await read('RegistryToken', created.metadata.name);
    expect(got.status?.observedGeneration).toBe(1);
    expect(kstatusOf(got)).toBe('Current');
  });
});

describe('the controller engine on an object with the default status', () => {
  it.each(kinds)(
    '$kind: parses it, reconciles it and replaces -1 with the generation',
    async ({ kind, schema, spec }) => {
      const seen: { parsed: unknown; status: unknown }[] = [];
      const reconciler: Reconciler<unknown> = {
        async reconcile({ object, status }) {
          seen.push({ parsed: (object as { status?: unknown }).status, status: structuredClone(status) });
          return { message: 'reconciled' };
        },
      };
      // Only the object labelled for this test: the other tests' objects must keep their status.
      const label = `test.berth.dev/engine-${kind.toLowerCase()}`;
      const controller = new Controller({
        name: `kstatus-default-${kind}`,
        type: typeOf(kind),
        schema,
        reconciler,
        kubeConfig: kc,
        custom,
        events: { record: async () => undefined },
        logger: testLogger,
        namespaces: [namespace],
        labelSelector: `${label}=yes`,
      });
      await controller.start();
      try {
        const created = await create(kind, spec, { labels: { [label]: 'yes' } });
        const done = await eventually(
          async () => {
            const got = await read(kind, created.metadata.name);
            return got.status?.observedGeneration === 1 ? got : undefined;
          },
          { what: `${kind} reconciled` },
        );
        // Parsed, not Stalled with InvalidSpec: -1 is a valid status for the schema.
        expect(done.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
          ['Ready', 'True', 'Succeeded'],
        ]);
        expect(kstatusViolations(done)).toEqual([]);
        expect(kstatusOf(done)).toBe('Current');
        expect(seen[0]).toEqual({ parsed: { observedGeneration: -1 }, status: { observedGeneration: -1 } });
      } finally {
        await controller.stop(1_000);
      }
    },
  );
});
