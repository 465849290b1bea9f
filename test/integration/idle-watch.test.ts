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
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'after-silence' } } });
      await eventually(() => informer.get('after-silence', namespace), {
        timeoutMs: 10_000,
        what: 'event after 65 s of silence',
      });
      expect(warnings).toEqual([]);
      expect(informer.restartCount).toBe(0);
    } finally {
      await informer.stop();
    }
  });
});

describe('a quiet watch beside a busy one', () => {
  // The API server keeps a short window of history per resource. A watch on a quiet namespace
  // resumes from the last resourceVersion it saw; when other namespaces have moved on past the
  // window, a resume without bookmarks ends in 410 and a full relist of everything watched.
  it('resumes after a reconnect without relisting, because it asked for bookmarks', {
    timeout: 240_000,
  }, async () => {
    const quiet = await createNamespace(kc, 'quiet');
    const busy = await createNamespace(kc, 'busy');
    const informer = new ResilientInformer<V1ConfigMap>({
      name: 'quiet-configmaps',
      kubeConfig: kc,
      path: `/api/v1/namespaces/${quiet}/configmaps`,
      list: () => core.listNamespacedConfigMap({ namespace: quiet }),
      logger: pino({ level: 'silent' }),
    });
    await informer.start();
    try {
      // Two minutes of churn elsewhere: the history window (75 s of events) moves past the
      // version the quiet watch listed at, and the server sends bookmarks meanwhile.
      const until = Date.now() + 120_000;
      for (let i = 0; Date.now() < until; i++) {
        await core.createNamespacedConfigMap({ namespace: busy, body: { metadata: { name: `c${i}` } } });
        await new Promise((r) => setTimeout(r, 100));
      }
      await informer.stop();
      await informer.start();
      await core.createNamespacedConfigMap({ namespace: quiet, body: { metadata: { name: 'after' } } });
      await eventually(() => informer.get('after', quiet), { timeoutMs: 10_000, what: 'event after resume' });
      expect(informer.listCount).toBe(1);
    } finally {
      await informer.stop();
    }
  });
});
