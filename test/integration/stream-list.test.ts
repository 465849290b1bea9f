// The informers' list (runtime/stream-list.ts) against the real API server: page by page, each
// object transformed as it is parsed, the label selector applied, and the list's resourceVersion
// kept for the watch that follows.
import { CoreV1Api, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { ListError, streamList } from '../../src/controllers/runtime/stream-list.ts';
import { adminKubeConfig, createNamespace } from './helpers.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);

describe('streamList against the real API server', () => {
  let namespace: string;
  beforeAll(async () => {
    namespace = await createNamespace(kc, 'stream-list');
    for (let i = 0; i < 7; i++)
      await core.createNamespacedConfigMap({
        namespace,
        body: {
          metadata: { name: `cm-${i}`, labels: { pick: i % 2 === 0 ? 'yes' : 'no' } },
          data: { big: 'x'.repeat(10_000) },
        },
      });
  });

  it('lists every page and transforms each object before keeping it', async () => {
    const seen: number[] = [];
    const list = await streamList<KubernetesObject>(kc, `/api/v1/namespaces/${namespace}/configmaps`, {
      pageSize: 3,
      transform: (obj) => {
        seen.push(JSON.stringify(obj).length);
        return {
          metadata: { name: obj.metadata?.name ?? '', resourceVersion: obj.metadata?.resourceVersion ?? '' },
        };
      },
    });
    const names = list.items.map((o) => o.metadata?.name).filter((n) => n?.startsWith('cm-'));
    expect(names.sort()).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6']);
    expect(Math.min(...seen.slice(0, 7))).toBeGreaterThan(10_000);
    expect(JSON.stringify(list.items).length).toBeLessThan(2_000);
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    // A watch from that version sees what came after the list, and nothing before it.
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'after' } } });
    const later = await core.listNamespacedConfigMap({ namespace });
    expect(Number(later.metadata?.resourceVersion)).toBeGreaterThan(Number(list.metadata?.resourceVersion));
  });

  it('applies the label selector on the server', async () => {
    const list = await streamList<V1ConfigMap>(kc, `/api/v1/namespaces/${namespace}/configmaps`, {
      labelSelector: 'pick=yes',
      pageSize: 2,
      transform: (obj) => obj,
    });
    expect(list.items.map((o) => o.metadata?.name).sort()).toEqual(['cm-0', 'cm-2', 'cm-4', 'cm-6']);
  });

  it('fails with the HTTP status, as client-node’s errors carry it', async () => {
    const err = await streamList(kc, '/api/v1/namespaces/x/nosuchresource', { transform: (o) => o }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ListError);
    expect((err as ListError).code).toBe(404);
  });
});
