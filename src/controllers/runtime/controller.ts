import type {
  CustomObjectsApi,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { OperatorMetrics } from '../../metrics.ts';
import { withWorkSignal } from '../../util/work-signal.ts';
import { type Clock, systemClock } from './clock.ts';
import type { Condition } from './conditions.ts';
import { ConditionType, Reason } from './conditions.ts';
import type { EventInput, EventRecorder } from './events.ts';
import { ensureFinalizer, isBeingDeleted, patchMetadata, removeFinalizer } from './finalizers.ts';
import { ResilientInformer } from './informer.ts';
import {
  classify,
  effectsOf,
  httpStatusOf,
  type OutcomeEffects,
  type ReconcileResult,
  TerminalError,
} from './outcome.ts';
import { OwnWrites } from './own-writes.ts';
import { WorkQueue as Queue, type WorkQueue } from './queue.ts';
import { type CustomObject, keyOf, parseKey, type ResourceType } from './resource.ts';
import { patchStatusIfChanged } from './status.ts';
import { describeInvalid } from './validation.ts';

/** Every `result` label of berth_controller_reconcile_total. */
const RESULTS: readonly OutcomeEffects['result'][] = [
  'success',
  'requeue_after',
  'error',
  'terminal_error',
  'waiting',
  'conflict',
];

/** What berth_controller_objects counts an object as. */
type ObjectState = 'ready' | 'not_ready' | 'stalled';
const OBJECT_STATES: readonly ObjectState[] = ['ready', 'not_ready', 'stalled'];

/** The state the conditions say: Stalled wins, then Ready; anything else is on its way. */
function stateOf(conditions: readonly Condition[]): ObjectState {
  if (conditions.some((c) => c.type === ConditionType.Stalled && c.status === 'True')) return 'stalled';
  if (conditions.some((c) => c.type === ConditionType.Ready && c.status === 'True')) return 'ready';
  return 'not_ready';
}

/** Annotation that asks for one reconcile now; its value is echoed into `status.lastHandledReconcileAt`. */
export const RECONCILE_REQUESTED_ANNOTATION = 'berth.dev/reconcile-requested-at';

/** What a reconciler receives: a parsed copy of the object, a status to fill in, and its tools. */
export interface ReconcileRequest<T> {
  object: T;
  /** Mutable copy of the status; the controller writes it once, after the reconcile, if it changed. */
  status: Record<string, unknown>;
  logger: Logger;
  /** Records an event about this object. */
  recordEvent(event: EventInput): Promise<void>;
  /** Aborted when the reconcile deadline passes or the operator shuts down. */
  signal: AbortSignal;
  now(): number;
  /** True once deletion was requested. */
  deleting: boolean;
  /** Adds the berth finalizer (before creating anything outside the cluster); true if it wrote. */
  ensureFinalizer(): Promise<boolean>;
  /** Removes the berth finalizer (after the external clean-up is confirmed); true if it wrote. */
  removeFinalizer(): Promise<boolean>;
  /**
   * Writes the status as it is now, before the end of the reconcile: for recording an intent (a
   * create about to happen) so that a crash right after cannot forget it. Conditions are left to
   * the final write. Like every write of the engine it is conditional on the version of the object
   * this reconcile started from: if anything changed it since, it throws a 409 (and the reconcile
   * is retried on fresh data) before the create it guards can happen.
   */
  persistStatus(): Promise<void>;
  /**
   * Records an intent in the object's annotations and adds the finalizer, in one write: what a
   * reconcile does before a create it cannot read back (crossplane's external-create-pending), one
   * request instead of a finalizer patch and a status write. Conditional on the version the
   * reconcile started from, like every write of the engine (a 409 means: decided on old data).
   */
  recordIntent(annotations: Record<string, string>): Promise<void>;
  /**
   * Awaits work shared with other reconciles and done elsewhere (one list of a registry's
   * credentials that every token waiting for it shares) without holding a worker meanwhile, so a
   * burst of reconciles waiting for the same list does not stall the queue (runtime/queue.ts).
   */
  waitShared<W>(work: Promise<W>): Promise<W>;
}

/** A level-based reconciler: read state, compare, act, return when to look again (or throw a typed error). */
export interface Reconciler<T> {
  reconcile(request: ReconcileRequest<T>): Promise<ReconcileResult>;
}

/**
 * Another resource whose changes concern this controller's objects: owned Secrets, referenced
 * ContainerRegistries, Namespaces and ServiceAccounts a token distributes to. Its handler maps a
 * changed object to the keys to reconcile; nothing else happens in it.
 */
export interface WatchSource {
  /** For logs and metrics, e.g. `secrets`. */
  name: string;
  /** Collection path, e.g. `/api/v1/secrets`. */
  path: string;
  /** How to list; by default the informer streams {@link path} page by page (runtime/stream-list.ts). */
  list?: () => Promise<KubernetesListObject<KubernetesObject>>;
  labelSelector?: string;
  /** Keys (`namespace/name`) of this controller's objects to reconcile after a change. */
  map: (obj: KubernetesObject) => string[];
  /**
   * Watch only these namespaces (one informer each, with {@link pathIn} and {@link listIn})
   * instead of {@link path}: in namespaced mode the operator needs no cluster-wide read.
   */
  namespaces?: readonly string[];
  pathIn?: (namespace: string) => string;
  listIn?: (namespace: string) => Promise<KubernetesListObject<KubernetesObject>>;
  /** What the cache keeps of each object (see ResilientInformerOptions.transform). */
  transform?: (obj: KubernetesObject) => KubernetesObject;
  /** Sees every object the watch delivers (before the keys are enqueued), e.g. for read-your-writes. */
  observe?: (obj: KubernetesObject, event: 'add' | 'update' | 'delete') => void;
}

/** A secondary watch's cache, over all its namespaces: what reconcilers read instead of the API. */
export interface SecondaryCache {
  get(name: string, namespace?: string): KubernetesObject | undefined;
  list(): KubernetesObject[];
  /** True once every informer of the watch has listed. */
  readonly synced: boolean;
}

/** Options for {@link Controller}. */
export interface ControllerOptions<T> {
  /** Short name for logs and metric labels, e.g. `registry-token`. */
  name: string;
  type: ResourceType;
  /** Every object is parsed by this before it reaches the reconciler; failures become Stalled/InvalidSpec. */
  schema: z.ZodType<T>;
  reconciler: Reconciler<T>;
  kubeConfig: KubeConfig;
  custom: CustomObjectsApi;
  events: EventRecorder;
  logger: Logger;
  /** Namespaces to watch; empty means all. */
  namespaces?: string[];
  /** Only objects matching this label selector (sharding several operator instances). */
  labelSelector?: string;
  workers?: number;
  /** Deadline of one reconcile (default 60 s). */
  reconcileTimeoutMs?: number;
  clock?: Clock;
  metrics?: OperatorMetrics;
  /** Secondary resources to watch (see {@link WatchSource}). */
  watches?: WatchSource[];
  /** Annotations whose change triggers a reconcile, besides the reconcile-request one (e.g. a rotation request). */
  triggerAnnotations?: string[];
  /** Work besides the queue that runs only where the workers run (the leader), e.g. a periodic census. */
  background?: BackgroundTask[];
}

/** A task started with the workers and stopped with the controller. */
export interface BackgroundTask {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Informers -> work queue -> workers -> reconcile -> one outcome mapping -> one status write.
 * Handlers only enqueue keys; updates that change neither generation, deletion nor the
 * reconcile-request annotation (our own status writes) are ignored.
 */
export class Controller<T = unknown> {
  readonly queue: WorkQueue;
  private readonly options: ControllerOptions<T>;
  private readonly clock: Clock;
  private readonly informers: ResilientInformer<CustomObject>[];
  private readonly secondary: ResilientInformer<KubernetesObject>[];
  private readonly fingerprints = new Map<string, string>();
  private readonly ownWrites = new OwnWrites();
  private readonly secondaryByName = new Map<string, ResilientInformer<KubernetesObject>[]>();
  /** Each object's state after its last reconcile, for berth_controller_objects. */
  private readonly states = new Map<string, ObjectState>();
  private readonly abort = new AbortController();

  constructor(options: ControllerOptions<T>) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    const { metrics, name } = options;
    const workers = options.workers ?? 2;
    metrics?.maxConcurrentReconciles.set({ controller: name }, workers);
    // Every series exists from the start, at 0 (as controller-runtime does): an alert on the
    // rate of errors must not wait for the first error to have something to evaluate.
    for (const result of RESULTS) metrics?.reconcileTotal.inc({ controller: name, result }, 0);
    metrics?.reconcileErrors.inc({ controller: name }, 0);
    metrics?.terminalReconcileErrors.inc({ controller: name }, 0);
    metrics?.staleCacheReads.inc({ controller: name }, 0);
    metrics?.queueAdds.inc({ name }, 0);
    metrics?.queueRetries.inc({ name }, 0);
    for (const state of OBJECT_STATES) metrics?.objects.set({ controller: name, state }, 0);
    this.queue = new Queue({
      name,
      workers,
      clock: this.clock,
      hooks: metrics && {
        added: () => metrics.queueAdds.inc({ name }),
        retried: () => metrics.queueRetries.inc({ name }),
        depthChanged: (depth) => metrics.queueDepth.set({ name }, depth),
        activeChanged: (active) => metrics.activeWorkers.set({ controller: name }, active),
        waited: (ms) => metrics.queueDuration.observe({ name }, ms / 1000),
      },
    });
    const namespaces = options.namespaces?.length ? options.namespaces : [undefined];
    this.informers = namespaces.map((ns) => this.makeInformer(ns));
    this.secondary = (options.watches ?? []).flatMap((source) => {
      const { namespaces, pathIn, listIn } = source;
      if (!namespaces?.length || !pathIn) return [this.makeSecondary(source)];
      return namespaces.map((ns) =>
        this.makeSecondary({
          ...source,
          name: `${source.name}/${ns}`,
          path: pathIn(ns),
          ...(listIn ? { list: () => listIn(ns) } : {}),
        }),
      );
    });
  }

  /** True once every informer has listed its objects (what /readyz reports). */
  get synced(): boolean {
    return this.informers.every((i) => i.synced) && this.secondary.every((i) => i.synced);
  }

  /** Starts the informers, waits until they synced, then starts the workers. */
  async start(): Promise<void> {
    await this.startInformers();
    this.startWorkers();
  }

  /**
   * Starts watching (resolves once synced). Every replica does this, leader or not, so a new
   * leader starts with warm caches; only the leader runs workers.
   */
  async startInformers(): Promise<void> {
    await Promise.all([...this.informers, ...this.secondary].map((i) => i.start()));
  }

  /** Starts reconciling queued keys (call after {@link startInformers} resolved). */
  startWorkers(): void {
    this.queue.start((key) => this.process(key));
    for (const task of this.options.background ?? []) task.start();
  }

  /** Stops taking work and waits (up to `graceMs`) for running reconciles; then stops watching. */
  async stop(graceMs = 30_000): Promise<void> {
    await Promise.all((this.options.background ?? []).map((task) => task.stop()));
    const drained = await this.queue.shutDown(graceMs);
    if (!drained) this.abort.abort(new Error('operator shutting down'));
    await Promise.all([...this.informers, ...this.secondary].map((i) => i.stop()));
    await this.options.events.flush?.();
  }

  /** Every cached object (for mapping secondary changes to keys). */
  list(): CustomObject[] {
    return this.informers.flatMap((i) => [...i.list()]);
  }

  /** The cached object for a key, from whichever namespace informer holds it. */
  get(key: string): CustomObject | undefined {
    const { namespace, name } = parseKey(key);
    for (const informer of this.informers) {
      const found = informer.get(name, namespace);
      if (found) return found;
    }
    return undefined;
  }

  private makeInformer(namespace: string | undefined): ResilientInformer<CustomObject> {
    const { type, labelSelector, metrics, name } = this.options;
    const base = `/apis/${type.group}/${type.version}`;
    const path = namespace ? `${base}/namespaces/${namespace}/${type.plural}` : `${base}/${type.plural}`;
    const selector = labelSelector ? { labelSelector } : {};
    // Listed by the informer itself, page by page and streamed: a tenant's object with a 256 KiB
    // annotation is cut down as it is parsed, never held in a whole list.
    const informerName = `${name}${namespace ? `/${namespace}` : ''}`;
    const informer = new ResilientInformer<CustomObject>({
      name: informerName,
      kubeConfig: this.options.kubeConfig,
      path,
      ...selector,
      logger: this.options.logger,
      hooks: metrics && {
        restarted: () => metrics.informerRestarts.inc({ informer: informerName }),
        listed: () => metrics.informerLists.inc({ informer: informerName }),
        synced: () => metrics.informerSynced.set({ informer: informerName }, 1),
      },
    });
    metrics?.informerSynced.set({ informer: informerName }, 0);
    informer.on('add', (obj) => this.onChange(obj));
    informer.on('update', (obj) => this.onChange(obj));
    informer.on('delete', (obj) => {
      const key = keyOf(obj);
      this.fingerprints.delete(key);
      this.ownWrites.forget(key);
      this.setState(key, undefined);
      this.queue.cancelDelayed(key);
    });
    return informer;
  }

  /** The cache of the secondary watch named `name` (see {@link WatchSource.name}). */
  cache(name: string): SecondaryCache {
    const informers = () => this.secondaryByName.get(name) ?? [];
    return {
      get: (objectName, namespace) => {
        for (const informer of informers()) {
          const found = informer.get(objectName, namespace);
          if (found) return found;
        }
        return undefined;
      },
      list: () => informers().flatMap((i) => [...i.list()]),
      get synced() {
        return informers().every((i) => i.synced);
      },
    };
  }

  private makeSecondary(source: WatchSource): ResilientInformer<KubernetesObject> {
    const { metrics, name } = this.options;
    const informerName = `${name}/${source.name}`;
    const informer = new ResilientInformer<KubernetesObject>({
      name: informerName,
      kubeConfig: this.options.kubeConfig,
      path: source.path,
      ...(source.list ? { list: source.list } : {}),
      ...(source.labelSelector ? { labelSelector: source.labelSelector } : {}),
      ...(source.transform ? { transform: source.transform } : {}),
      logger: this.options.logger,
      hooks: metrics && {
        restarted: () => metrics.informerRestarts.inc({ informer: informerName }),
        listed: () => metrics.informerLists.inc({ informer: informerName }),
        synced: () => metrics.informerSynced.set({ informer: informerName }, 1),
      },
    });
    metrics?.informerSynced.set({ informer: informerName }, 0);
    for (const event of ['add', 'update', 'delete'] as const) {
      informer.on(event, (obj) => {
        source.observe?.(obj, event);
        for (const key of source.map(obj)) this.queue.add(key);
      });
    }
    const group = source.name.split('/')[0] ?? source.name;
    this.secondaryByName.set(group, [...(this.secondaryByName.get(group) ?? []), informer]);
    return informer;
  }

  private onChange(obj: CustomObject): void {
    const key = keyOf(obj);
    const meta = obj.metadata ?? {};
    this.ownWrites.seen(key, meta.resourceVersion);
    const fingerprint = [
      meta.generation ?? '',
      meta.deletionTimestamp ? 'deleting' : '',
      ...[RECONCILE_REQUESTED_ANNOTATION, ...(this.options.triggerAnnotations ?? [])].map(
        (a) => meta.annotations?.[a] ?? '',
      ),
    ].join('|');
    if (this.fingerprints.get(key) === fingerprint) return;
    this.fingerprints.set(key, fingerprint);
    this.queue.add(key);
  }

  /** Moves a key to its new state in berth_controller_objects (undefined: the object is gone). */
  private setState(key: string, state: ObjectState | undefined): void {
    const { metrics, name } = this.options;
    const before = this.states.get(key);
    if (before === state) return;
    if (before) metrics?.objects.dec({ controller: name, state: before });
    if (state) {
      this.states.set(key, state);
      metrics?.objects.inc({ controller: name, state });
    } else this.states.delete(key);
  }

  /**
   * The object to reconcile: the cached copy, unless a write of ours has not reached the cache
   * yet (see {@link OwnWrites}); then one live GET, so no decision is made on our own old status.
   */
  private async read(key: string): Promise<CustomObject | undefined> {
    const cached = this.get(key);
    if (!cached || !this.ownWrites.cacheBehind(key, cached.metadata?.resourceVersion, this.clock.now()))
      return cached;
    const { type, custom, metrics, name } = this.options;
    metrics?.staleCacheReads.inc({ controller: name });
    try {
      const live = (await custom.getNamespacedCustomObject({ ...type, ...parseKey(key) })) as CustomObject;
      this.ownWrites.readLive(key, live.metadata?.resourceVersion, this.clock.now());
      return live;
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private async process(key: string): Promise<void> {
    let raw: CustomObject | undefined;
    try {
      raw = await this.read(key);
    } catch (err) {
      this.options.logger.warn({ key, err: (err as Error).message }, 'reading the object failed; retrying');
      this.queue.addRateLimited(key);
      return;
    }
    if (!raw) {
      this.queue.forget(key);
      return;
    }
    const object = raw;
    const { name, metrics, logger: root } = this.options;
    const logger = root.child({ controller: name, key });
    const started = this.clock.now();
    const generation = raw.metadata?.generation;
    const before = raw.status;
    const status: Record<string, unknown> = structuredClone(before ?? {});
    const recordEvent = (event: EventInput) => this.options.events.record(object, event);
    const target = parseKey(key);
    // What the API server holds, and its version; both move forward with each write of ours.
    let written = before;
    let version = raw.metadata?.resourceVersion;
    const wrote = (resourceVersion: string | undefined) => {
      if (resourceVersion === undefined) return false;
      // An answer without a version (never seen) leaves the next write unconditional, not wrong.
      version = resourceVersion || undefined;
      this.ownWrites.wrote(key, resourceVersion, this.clock.now());
      return true;
    };
    const writeStatus = async () => {
      const { custom, type } = this.options;
      wrote(await patchStatusIfChanged(custom, type, target, written, status, version));
      written = structuredClone(status);
    };
    let returned: ReconcileResult | undefined;
    let thrown: unknown;
    try {
      const parsed = this.options.schema.safeParse(raw);
      if (!parsed.success) throw new TerminalError(Reason.InvalidSpec, describeInvalid(parsed.error));
      const timeout = AbortSignal.timeout(this.options.reconcileTimeoutMs ?? 60_000);
      const { custom, type } = this.options;
      const signal = AbortSignal.any([timeout, this.abort.signal]);
      // Provider clients take the signal from the async context (util/work-signal.ts).
      returned = await withWorkSignal(signal, () =>
        this.options.reconciler.reconcile({
          object: structuredClone(parsed.data),
          status,
          logger,
          recordEvent,
          signal,
          now: () => this.clock.now(),
          deleting: isBeingDeleted(raw),
          ensureFinalizer: async () => wrote(await ensureFinalizer(custom, type, object, version)),
          removeFinalizer: async () => wrote(await removeFinalizer(custom, type, object, version)),
          persistStatus: writeStatus,
          recordIntent: async (annotations) => {
            wrote(await patchMetadata(custom, type, object, { annotations, finalizer: true }, version));
          },
          waitShared: (work) => this.queue.park(key, work),
        }),
      );
    } catch (err) {
      thrown = err ?? new Error('reconcile threw without an error');
    }
    const outcome = classify(returned, thrown);
    const previous = (before?.conditions as Condition[] | undefined) ?? [];
    const effects = effectsOf(outcome, previous, generation, this.clock.now());
    status.conditions = effects.conditions;
    if (generation !== undefined) status.observedGeneration = generation;
    const requested = raw.metadata?.annotations?.[RECONCILE_REQUESTED_ANNOTATION];
    if (requested !== undefined) status.lastHandledReconcileAt = requested;

    metrics?.reconcileTotal.inc({ controller: name, result: effects.result });
    metrics?.reconcileTime.observe({ controller: name }, (this.clock.now() - started) / 1000);
    if (effects.result === 'error') metrics?.reconcileErrors.inc({ controller: name });
    if (effects.result === 'terminal_error') metrics?.terminalReconcileErrors.inc({ controller: name });
    if (thrown && outcome.kind !== 'conflict') {
      // Waiting is not a failure (a registry provisioning): worth a line, not a warning.
      const level = outcome.kind === 'waiting' ? 'info' : 'warn';
      logger[level](
        { outcome: outcome.kind, err: (thrown as Error).message },
        'reconcile did not succeed yet',
      );
    }

    try {
      await writeStatus();
    } catch (err) {
      const code = httpStatusOf(err);
      if (code === 404) return; // deleted while we worked
      if (code === 409) {
        // Changed while we worked (or we started from a stale copy): look again on fresh data.
        logger.debug('object changed during the reconcile; reconciling again');
        this.queue.addAfter(key, 200);
        return;
      }
      logger.warn({ err: (err as Error).message }, 'status write failed; retrying');
      this.queue.addRateLimited(key);
      return;
    }
    this.setState(key, stateOf(effects.conditions));
    // Only a change in a condition deserves an event; a steady failure is already in its series.
    const changed = JSON.stringify(previous) !== JSON.stringify(effects.conditions);
    if (effects.event && changed) await recordEvent(effects.event);

    switch (effects.queue.kind) {
      case 'forget':
        this.queue.forget(key);
        break;
      case 'forgetAndRequeueAfter':
        this.queue.forget(key);
        this.queue.addAfter(key, jitter(effects.queue.afterMs));
        break;
      case 'rateLimited':
        this.queue.addRateLimited(key);
        break;
      case 'requeueSoon':
        this.queue.addAfter(key, 200);
        break;
    }
  }
}

/**
 * Up to 10 % later but at most 30 s, never earlier: a renewal must not run before its time, and a
 * requeue for a credential's renewal days away must not drift past its expiry.
 */
export function jitter(ms: number, random: () => number = Math.random): number {
  return Math.round(ms + Math.min(0.1 * ms, 30_000) * random());
}
