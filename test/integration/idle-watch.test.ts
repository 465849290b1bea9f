import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ResilientInformer } from '../../src/controllers/runtime/informer.ts';
import { adminKubeConfig, createNamespace, eventually } from './helpers.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);

describe('an idle watch', () => {
  // client-node 2.0.0 aborted every watch after 30 s (kubernetes-client/javascript#3020); an operator
  // whose objects rarely change must still hear about the next change after a long silence.
  it('still delivers events after more than 60 seconds without any', { timeout: 150_000 }, async () => {
    const namespace = await createNamespace(kc, 'idle');
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const informer = new ResilientInformer<V1ConfigMap>({
      name: 'idle-configmaps',
      kubeConfig: kc,
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      list: () => core.listNamespacedConfigMap({ namespace }),
      logger,
    });
    await informer.start();
    try {
      const idleMs = 65_000;
      await new Promise((r) => setTimeout(r, idleMs));
      const created = Date.now();
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'after-silence' } } });
      await eventually(() => informer.get('after-silence', namespace), {
        timeoutMs: 10_000,
        what: 'event after 65 s of silence',
      });
      expect(Date.now() - created).toBeLessThan(10_000);
      expect(warnings).toEqual([]);
      expect(informer.restartCount).toBe(0);
    } finally {
      await informer.stop();
    }
  });
});
