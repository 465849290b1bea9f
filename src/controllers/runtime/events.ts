import { randomBytes } from 'node:crypto';
import { type EventsV1Api, PatchStrategy, setHeaderOptions, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { withoutUndefined } from '../../util/objects.ts';
import { type Clock, systemClock } from './clock.ts';
import type { CustomObject } from './resource.ts';

/** An event about one object. */
export interface EventInput {
  type: 'Normal' | 'Warning';
  reason: string;
  /** Human-readable; never a secret (callers pass their own messages, not provider responses). */
  note: string;
  /** What the controller did or failed to do, e.g. `Reconcile`, `Create`, `Revoke`. */
  action?: string;
}

/** Records events about objects. */
export interface EventRecorder {
  /** Records the event; may resolve before it is written (see {@link KubeEventRecorder}). */
  record(regarding: CustomObject, event: EventInput): Promise<void>;
  /** Resolves once every event recorded so far has been written or given up on. */
  flush?(): Promise<void>;
}

/** Events being written at once before `record` waits for one: backpressure under a burst. */
const MAX_EVENTS_IN_FLIGHT = 32;

/** How long identical events are folded into one with a growing series count. */
const SERIES_WINDOW_MS = 10 * 60_000;
const MAX_NOTE = 1_024;

interface Series {
  name: string;
  namespace: string;
  count: number;
  lastAt: number;
}

/**
 * Writes events.k8s.io/v1 Events. A repeat of the same event for the same object within ten
 * minutes updates the first one's `series` instead of creating another, so a retry loop cannot
 * flood etcd. Failing to record an event is logged and never fails a reconcile, so a reconcile
 * does not wait for it either: `record` returns once the write is under way (a round trip less on
 * every issue), unless many are, and `flush` waits for all of them at shutdown.
 */
export class KubeEventRecorder implements EventRecorder {
  private readonly api: EventsV1Api;
  private readonly controller: string;
  private readonly instance: string;
  private readonly logger: Pick<Logger, 'warn'>;
  private readonly clock: Clock;
  private readonly series = new Map<string, Series>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: {
    api: EventsV1Api;
    /** `reportingController`, e.g. `berth.dev/registry-token`. */
    controller: string;
    /** `reportingInstance`: this process's identity. */
    instance: string;
    logger: Pick<Logger, 'warn'>;
    clock?: Clock;
  }) {
    this.api = options.api;
    this.controller = options.controller;
    this.instance = options.instance;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
  }

  async record(regarding: CustomObject, event: EventInput): Promise<void> {
    const writing = this.write(regarding, event);
    this.inFlight.add(writing);
    void writing.finally(() => this.inFlight.delete(writing));
    if (this.inFlight.size > MAX_EVENTS_IN_FLIGHT) await writing;
  }

  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async write(regarding: CustomObject, event: EventInput): Promise<void> {
    const meta = regarding.metadata ?? {};
    const namespace = meta.namespace ?? 'default';
    const note = event.note.length > MAX_NOTE ? `${event.note.slice(0, MAX_NOTE - 1)}…` : event.note;
    const key = [meta.uid, event.type, event.reason, note].join('\u0000');
    const now = this.clock.now();
    this.prune(now);
    try {
      const existing = this.series.get(key);
      if (existing && now - existing.lastAt < SERIES_WINDOW_MS) {
        existing.count++;
        existing.lastAt = now;
        await this.api.patchNamespacedEvent(
          {
            name: existing.name,
            namespace: existing.namespace,
            body: { series: { count: existing.count, lastObservedTime: new V1MicroTime(now) } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        return;
      }
      const name = `${meta.name ?? 'object'}.${randomBytes(8).toString('hex')}`;
      await this.api.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name, namespace },
          eventTime: new V1MicroTime(now),
          reportingController: this.controller,
          reportingInstance: this.instance,
          action: event.action ?? 'Reconcile',
          reason: event.reason,
          note,
          type: event.type,
          regarding: withoutUndefined({
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            name: meta.name,
            namespace,
            uid: meta.uid,
            resourceVersion: meta.resourceVersion,
          }),
        },
      });
      this.series.set(key, { name, namespace, count: 1, lastAt: now });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, reason: event.reason }, 'could not record event');
    }
  }

  private prune(now: number): void {
    for (const [key, s] of this.series) if (now - s.lastAt >= SERIES_WINDOW_MS) this.series.delete(key);
  }
}
