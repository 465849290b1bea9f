import { setTimeout as sleep } from 'node:timers/promises';
import {
  Controller,
  type ReconcileRequest,
  type Reconciler,
} from '../../src/controllers/runtime/controller.ts';
import type { ReconcileResult } from '../../src/controllers/runtime/outcome.ts';
import type { ResourceType } from '../../src/controllers/runtime/resource.ts';
import type { ControllerFactory } from '../../src/operator.ts';
import { WIDGET, type Widget, WidgetSchema } from './widget.ts';

/** One reconcile as the test reconciler saw it. */
export interface ReconcileCall {
  name: string;
  generation: number | undefined;
  startedAt: number;
}

/**
 * The trivial test controller's reconciler: copies spec.size into status, records who reconciled
 * and when, optionally works for a while, fails on request, and tracks per-key concurrency.
 */
export class RecordingReconciler implements Reconciler<Widget> {
  readonly calls: ReconcileCall[] = [];
  maxConcurrentPerKey = 0;
  private readonly running = new Map<string, number>();
  private readonly identity: string;

  constructor(identity: string) {
    this.identity = identity;
  }

  callsFor(name: string): ReconcileCall[] {
    return this.calls.filter((c) => c.name === name);
  }

  readonly cleanedUp: string[] = [];

  async reconcile(request: ReconcileRequest<Widget>): Promise<ReconcileResult> {
    const { object, status, logger, now } = request;
    const name = object.metadata.name;
    this.calls.push({ name, generation: object.metadata.generation, startedAt: now() });
    if (object.spec.guarded) {
      // Stand-in for an external object: the finalizer guards its clean-up.
      if (request.deleting) {
        this.cleanedUp.push(name);
        await request.removeFinalizer();
        return {};
      }
      await request.ensureFinalizer();
    }
    const running = (this.running.get(name) ?? 0) + 1;
    this.running.set(name, running);
    this.maxConcurrentPerKey = Math.max(this.maxConcurrentPerKey, running);
    try {
      logger.info({ widget: name }, 'reconciling widget');
      if (object.spec.workMs) await sleep(object.spec.workMs);
      if (object.spec.fail) throw new Error('widget failure requested by spec.fail');
      status.size = object.spec.size;
      status.reconciledBy = this.identity;
      return {
        message: `size ${object.spec.size}`,
        ...(object.spec.requeueMs ? { requeueAfterMs: object.spec.requeueMs } : {}),
      };
    } finally {
      this.running.set(name, (this.running.get(name) ?? 1) - 1);
    }
  }
}

/** A controller factory running one Widget controller with the given reconciler. */
export function widgetControllerFactory(
  reconciler: RecordingReconciler,
  type: ResourceType = WIDGET,
): ControllerFactory {
  return ({ config, logger, metrics, clients, eventsFor }) => [
    new Controller<Widget>({
      name: 'widget',
      type,
      schema: WidgetSchema,
      reconciler,
      kubeConfig: clients.kubeConfig,
      custom: clients.custom,
      events: eventsFor('widget'),
      logger,
      metrics,
      namespaces: config.namespaces,
      workers: config.workers,
      reconcileTimeoutMs: config.reconcileTimeout,
      ...(config.shardSelector ? { labelSelector: config.shardSelector } : {}),
    }) as Controller,
  ];
}
