import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ResilientInformer } from '../../src/controllers/runtime/informer.ts';
import { ControlPlane } from '../../src/dev/control-plane.ts';
import { loadKubeConfig } from '../../src/dev/kubeconfig.ts';
import { eventually } from './helpers.ts';

// Restarting kube-apiserver would disturb every other test file, so this one brings its own
// control plane (etcd + kube-apiserver; no controller manager needed).
describe.skipIf(inject('clusterKind') !== 'local')('informer across a kube-apiserver restart', () => {
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await ControlPlane.start({ controllerManager: false });
  });
  afterAll(async () => {
    await plane?.stop();
    expect(plane?.runningPids() ?? []).toEqual([]);
  });

  it('resumes watching and sees changes made after the restart', { timeout: 180_000 }, async () => {
    const kc = loadKubeConfig(plane.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const namespace = 'default';
    const warnings: string[] = [];
    const informer = new ResilientInformer<V1ConfigMap>({
      name: 'configmaps',
      kubeConfig: kc,
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      list: () => core.listNamespacedConfigMap({ namespace }),
      logger: pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) }),
    });
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'before' } } });
      await eventually(() => informer.get('before', namespace), { what: 'before in cache' });

      await plane.restartApiServer(3_000);

      await eventually(
        () => core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'after' } } }),
        {
          what: 'create after restart',
        },
      );
      await eventually(() => informer.get('after', namespace), { timeoutMs: 60_000, what: 'after in cache' });
      await core.deleteNamespacedConfigMap({ namespace, name: 'before' });
      await eventually(() => informer.get('before', namespace) === undefined, {
        what: 'delete after restart',
      });

      // It got there by restarting itself, and said so.
      expect(informer.restartCount).toBeGreaterThan(0);
      expect(warnings.join('\n')).toContain('watch failed; restarting');
    } finally {
      await informer.stop();
    }
  });
});
