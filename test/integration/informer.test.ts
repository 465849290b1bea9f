import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResilientInformer } from '../../src/controllers/runtime/informer.ts';
import { adminKubeConfig, createNamespace, eventually, testLogger } from './helpers.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);

describe('ResilientInformer against the real kube-apiserver', () => {
  let namespace: string;
  let informer: ResilientInformer<V1ConfigMap>;
  const seen: string[] = [];

  beforeAll(async () => {
    namespace = await createNamespace(kc, 'informer');
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'before-start' }, data: { a: '1' } },
    });
    informer = new ResilientInformer<V1ConfigMap>({
      name: 'configmaps',
      kubeConfig: kc,
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      list: () => core.listNamespacedConfigMap({ namespace }),
      logger: testLogger,
    });
    for (const event of ['add', 'update', 'delete'] as const) {
      informer.on(event, (cm) => seen.push(`${event}:${cm.metadata?.name}:${cm.data?.a ?? ''}`));
    }
    await informer.start();
  });

  afterAll(async () => {
    await informer.stop();
  });

  it('lists existing objects before it reports synced', () => {
    expect(informer.synced).toBe(true);
    expect(informer.get('before-start', namespace)?.data).toEqual({ a: '1' });
    expect(seen).toContain('add:before-start:1');
  });

  it('sees create, update and delete in order and keeps its cache current', async () => {
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'watched' }, data: { a: 'x' } },
    });
    await eventually(() => informer.get('watched', namespace), { what: 'watched in cache' });

    // JSON Patch is the default content type of client-node's typed patch methods.
    await core.patchNamespacedConfigMap({
      namespace,
      name: 'watched',
      body: [{ op: 'replace', path: '/data/a', value: 'y' }],
    });
    await eventually(() => informer.get('watched', namespace)?.data?.a === 'y', { what: 'update in cache' });

    await core.deleteNamespacedConfigMap({ namespace, name: 'watched' });
    await eventually(() => informer.get('watched', namespace) === undefined, { what: 'delete in cache' });

    const events = seen.filter((e) => e.includes(':watched:'));
    expect(events).toEqual(['add:watched:x', 'update:watched:y', 'delete:watched:y']);
    const names = informer.list(namespace).map((cm) => cm.metadata?.name);
    expect(names).toContain('before-start');
    expect(names).not.toContain('watched');
  });

  it('survives a handler that throws', async () => {
    informer.on('add', () => {
      throw new Error('handler bug');
    });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'after-throw' } } });
    await eventually(() => informer.get('after-throw', namespace), { what: 'after-throw in cache' });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'still-watching' } } });
    await eventually(() => informer.get('still-watching', namespace), { what: 'still-watching in cache' });
  });
});
