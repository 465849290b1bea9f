import { CustomObjectsApi, EventsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pino from 'pino';
import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import { patchStatusIfChanged } from '../../src/controllers/runtime/status.ts';
import { type RunningOperator, startOperator } from '../../src/operator.ts';
import { kstatusOf, kstatusViolations } from '../support/kstatus.ts';
import { installWidgetCrd, WIDGET, widget } from '../support/widget.ts';
import { RecordingReconciler, widgetControllerFactory } from '../support/widget-controller.ts';
import { adminKubeConfig, createNamespace, eventually } from './helpers.ts';

const kc = adminKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

type WidgetObject = {
  metadata: { name: string; generation: number; annotations?: Record<string, string> };
  status?: {
    observedGeneration?: number;
    size?: number;
    lastHandledReconcileAt?: string;
    conditions?: {
      type: string;
      status: string;
      reason: string;
      message: string;
      lastTransitionTime: string;
    }[];
  };
};

describe('the controller engine with a trivial Widget controller', () => {
  let namespace: string;
  let operator: RunningOperator;
  const reconciler = new RecordingReconciler('in-process');
  const read = (name: string) =>
    custom.getNamespacedCustomObject({ ...WIDGET, namespace, name }) as Promise<WidgetObject>;
  const create = (name: string, spec: Record<string, unknown>) =>
    custom.createNamespacedCustomObject({ ...WIDGET, namespace, body: widget(namespace, name, spec) });
  const patch = (name: string, body: object) =>
    custom.patchNamespacedCustomObject({ ...WIDGET, namespace, name, body }, mergePatch);
  const condition = (obj: WidgetObject, type: string) => obj.status?.conditions?.find((c) => c.type === type);
  const readyAtGeneration = async (name: string) =>
    eventually(
      async () => {
        const obj = await read(name);
        return condition(obj, 'Ready')?.status === 'True' &&
          obj.status?.observedGeneration === obj.metadata.generation
          ? obj
          : undefined;
      },
      { what: `${name} Ready at its generation` },
    );

  beforeAll(async () => {
    await installWidgetCrd(kc.makeApiClient((await import('@kubernetes/client-node')).ApiextensionsV1Api));
    namespace = await createNamespace(kc, 'engine');
    const config = parseConfig(
      [`--namespaces=${namespace}`, '--leader-elect=false', '--metrics-addr=127.0.0.1:0', '--workers=4'],
      {},
    );
    operator = await startOperator(config, widgetControllerFactory(reconciler), {
      kubeConfig: kc,
      logger: pino({ level: 'silent' }),
    });
    await eventually(() => fetch(`http://${operator.health.address}/readyz`).then((r) => r.ok), {
      what: 'ready',
    });
  });
  afterAll(async () => {
    await operator?.stop('test done');
  });

  it('brings a new object to Ready=True with observedGeneration == generation, kstatus Current', async () => {
    await create('first', { size: 3 });
    const obj = await readyAtGeneration('first');
    expect(obj.status?.size).toBe(3);
    expect(kstatusViolations(obj)).toEqual([]);
    expect(kstatusOf(obj)).toBe('Current');
  });

  it('does not reconcile again because of its own status write', async () => {
    await create('quiet', { size: 1 });
    await readyAtGeneration('quiet');
    const count = reconciler.callsFor('quiet').length;
    await new Promise((r) => setTimeout(r, 3_000));
    expect(reconciler.callsFor('quiet').length).toBe(count);
  });

  it('folds a burst of 20 updates into far fewer reconciles, never two at once', async () => {
    const workMs = 1_000;
    await create('burst', { size: 1, workMs });
    await readyAtGeneration('burst');
    const before = reconciler.callsFor('burst').length;
    const started = Date.now();
    for (let i = 0; i < 20; i++) await patch('burst', { spec: { size: (i % 10) + 1 } });
    const patchingMs = Date.now() - started;
    const obj = await readyAtGeneration('burst');
    const reconciles = reconciler.callsFor('burst').length - before;
    expect(obj.status?.size).toBe(10);
    expect(reconciles).toBeGreaterThanOrEqual(1);
    // One key never runs twice at once, so while the patches arrive at most one reconcile per
    // workMs can start, plus the one running when they began and the one for the last patch: the
    // bound depends on how long patching took, not on how many patches there were.
    expect(reconciles).toBeLessThanOrEqual(Math.ceil(patchingMs / workMs) + 2);
    expect(reconciler.maxConcurrentPerKey).toBe(1);
    expect(kstatusViolations(obj)).toEqual([]);
  });

  it('backs off a failing reconcile, says why in status and events, and recovers', async () => {
    await create('failing', { size: 2, fail: true });
    await eventually(() => reconciler.callsFor('failing').length >= 4, {
      timeoutMs: 30_000,
      what: '4 attempts',
    });
    const starts = reconciler.callsFor('failing').map((c) => c.startedAt);
    const gaps = starts.slice(1, 4).map((t, i) => t - (starts[i] ?? t));
    // The backoff waits 1 s, 2 s, 4 s (jitter only adds): a gap between two attempts is that wait
    // plus the failing attempt's own time, so these lower bounds hold on any machine, and a fixed
    // delay could not meet them.
    expect(gaps[0]).toBeGreaterThanOrEqual(1_000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2_000);
    expect(gaps[2]).toBeGreaterThanOrEqual(4_000);

    const failed = await read('failing');
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(condition(failed, 'Ready')?.message).toContain('widget failure requested');
    expect(condition(failed, 'Reconciling')).toMatchObject({
      status: 'True',
      reason: 'ProgressingWithRetry',
    });
    expect(kstatusViolations(failed)).toEqual([]);
    expect(kstatusOf(failed)).toBe('InProgress');
    const events = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
    const warnings = events.items.filter((e) => e.regarding?.name === 'failing' && e.type === 'Warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ reason: 'Failed', reportingController: 'berth.dev/widget' });

    await patch('failing', { spec: { fail: false } });
    const fixed = await readyAtGeneration('failing');
    expect(condition(fixed, 'Reconciling')).toBeUndefined();
    expect(kstatusViolations(fixed)).toEqual([]);
  });

  it('stalls an object its schema rejects, naming the field, without retrying or calling the reconciler', async () => {
    await create('invalid', { size: 50 });
    const stalled = await eventually(
      async () => {
        const obj = await read('invalid');
        return condition(obj, 'Stalled')?.status === 'True' ? obj : undefined;
      },
      { what: 'Stalled' },
    );
    expect(condition(stalled, 'Stalled')?.reason).toBe('InvalidSpec');
    expect(condition(stalled, 'Stalled')?.message).toMatch(/^spec\.size: /);
    expect(condition(stalled, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(stalled.status?.observedGeneration).toBe(stalled.metadata.generation);
    expect(kstatusViolations(stalled)).toEqual([]);
    expect(kstatusOf(stalled)).toBe('Failed');
    const version = (await read('invalid')) as unknown as { metadata: { resourceVersion: string } };
    await new Promise((r) => setTimeout(r, 3_000));
    const later = (await read('invalid')) as unknown as { metadata: { resourceVersion: string } };
    expect(later.metadata.resourceVersion).toBe(version.metadata.resourceVersion);
    expect(reconciler.callsFor('invalid')).toEqual([]);

    await patch('invalid', { spec: { size: 5 } });
    const fixed = await readyAtGeneration('invalid');
    expect(condition(fixed, 'Stalled')).toBeUndefined();
  });

  it('reconciles once per new value of the reconcile-requested-at annotation and echoes it', async () => {
    await create('poked', { size: 4 });
    await readyAtGeneration('poked');
    const before = reconciler.callsFor('poked').length;
    await patch('poked', { metadata: { annotations: { 'berth.dev/reconcile-requested-at': 'now-1' } } });
    const obj = await eventually(
      async () =>
        (await read('poked')).status?.lastHandledReconcileAt === 'now-1' ? read('poked') : undefined,
      { what: 'lastHandledReconcileAt' },
    );
    expect(reconciler.callsFor('poked').length).toBe(before + 1);
    expect(kstatusViolations(obj)).toEqual([]);
  });

  it('requeues after the time a reconcile asked for', async () => {
    await create('timer', { size: 1, requeueMs: 1_500 });
    await eventually(() => reconciler.callsFor('timer').length >= 3, {
      timeoutMs: 20_000,
      what: '3 timed reconciles',
    });
    const starts = reconciler.callsFor('timer').map((c) => c.startedAt);
    const gap = (starts[2] ?? 0) - (starts[1] ?? 0);
    expect(gap).toBeGreaterThanOrEqual(1_500);
  });

  it('keeps a finalizer until the reconciler has cleaned up, then lets the object go', async () => {
    await create('guarded', { size: 1, guarded: true });
    await readyAtGeneration('guarded');
    const guarded = (await read('guarded')) as unknown as { metadata: { finalizers?: string[] } };
    expect(guarded.metadata.finalizers).toEqual(['berth.dev/finalizer']);
    await custom.deleteNamespacedCustomObject({ ...WIDGET, namespace, name: 'guarded' });
    await eventually(
      () =>
        read('guarded').then(
          () => false,
          (err: unknown) => (err as { code?: number }).code === 404,
        ),
      { what: 'guarded deleted' },
    );
    expect(reconciler.cleanedUp).toEqual(['guarded']);
  });

  it('reconciles only its shard when given a label selector', async () => {
    const shardNamespace = await createNamespace(kc, 'shard');
    const shardReconciler = new RecordingReconciler('shard-a');
    const config = parseConfig(
      [
        `--namespaces=${shardNamespace}`,
        '--leader-elect=false',
        '--metrics-addr=127.0.0.1:0',
        '--shard-selector=berth.dev/shard=a',
      ],
      {},
    );
    const sharded = await startOperator(config, widgetControllerFactory(shardReconciler), {
      kubeConfig: kc,
      logger: pino({ level: 'silent' }),
    });
    try {
      for (const [name, shard] of [
        ['in-a', 'a'],
        ['in-b', 'b'],
      ] as const) {
        await custom.createNamespacedCustomObject({
          ...WIDGET,
          namespace: shardNamespace,
          body: widget(shardNamespace, name, { size: 1 }, { 'berth.dev/shard': shard }),
        });
      }
      await eventually(() => shardReconciler.callsFor('in-a').length > 0, { what: 'in-a reconciled' });
      await new Promise((r) => setTimeout(r, 2_000));
      expect(shardReconciler.callsFor('in-b')).toEqual([]);
      const other = (await custom.getNamespacedCustomObject({
        ...WIDGET,
        namespace: shardNamespace,
        name: 'in-b',
      })) as WidgetObject;
      expect(other.status).toBeUndefined();
    } finally {
      await sharded.stop('test done');
    }
  });

  it('writes status only on the version it read: a write based on an older copy gets 409', async () => {
    await create('cas', { size: 1 });
    const seen = (await readyAtGeneration('cas')) as WidgetObject & { metadata: { resourceVersion: string } };
    const target = { namespace, name: 'cas' };
    // Someone else changes the object after we read it (a user's label, another writer).
    await patch('cas', { metadata: { labels: { touched: 'yes' } } });
    const stale = patchStatusIfChanged(
      custom,
      WIDGET,
      target,
      seen.status,
      { size: 99 },
      seen.metadata.resourceVersion,
    );
    await expect(stale).rejects.toMatchObject({ code: 409 });
    expect((await read('cas')).status?.size).toBe(1);
    const fresh = (await read('cas')) as typeof seen;
    const written = await patchStatusIfChanged(
      custom,
      WIDGET,
      target,
      fresh.status,
      { ...fresh.status, size: 99 },
      fresh.metadata.resourceVersion,
    );
    expect(written).not.toBe(fresh.metadata.resourceVersion);
    expect((await read('cas')).status?.size).toBe(99);
  });

  it('serves the documented metrics', async () => {
    // One reconcile of its own for the histograms; the counters exist from the start, at 0.
    await create('metrics', { size: 1 });
    await readyAtGeneration('metrics');
    const text = await fetch(`http://${operator.health.address}/metrics`).then((r) => r.text());
    const ready = /berth_controller_objects\{controller="widget",state="ready"\} (\d+)/.exec(text);
    expect(Number(ready?.[1])).toBeGreaterThanOrEqual(1);
    for (const name of [
      'berth_controller_objects{controller="widget",state="stalled"}',
      'berth_controller_reconcile_total{controller="widget",result="success"}',
      'berth_controller_reconcile_total{controller="widget",result="error"}',
      'berth_controller_terminal_reconcile_errors_total{controller="widget"}',
      'berth_controller_reconcile_errors_total{controller="widget"}',
      'berth_controller_reconcile_time_seconds_bucket',
      'berth_controller_max_concurrent_reconciles{controller="widget"} 4',
      'berth_controller_active_workers{controller="widget"}',
      'berth_workqueue_depth{name="widget"}',
      'berth_workqueue_adds_total{name="widget"}',
      'berth_workqueue_retries_total{name="widget"}',
      'berth_workqueue_queue_duration_seconds_bucket',
      `berth_informer_synced{informer="widget/${namespace}"} 1`,
      'berth_process_resident_memory_bytes',
    ]) {
      expect(text).toContain(name);
    }
  });
});
