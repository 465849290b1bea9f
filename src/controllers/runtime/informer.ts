import {
  ADD,
  DELETE,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  type ObjectCache,
  UPDATE,
  Watch,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type BackoffOptions, backoffDelay, INFORMER_BACKOFF } from './backoff.ts';
import { compactObject } from './bounded.ts';
import { streamList } from './stream-list.ts';

/** The kinds of change an informer reports. */
export type InformerEvent = 'add' | 'update' | 'delete';

/** Options for {@link ResilientInformer}. */
export interface ResilientInformerOptions<T extends KubernetesObject> {
  /** A short name for logs, e.g. `secrets`. */
  name: string;
  kubeConfig: KubeConfig;
  /** The collection path to watch, e.g. `/api/v1/namespaces/ns/secrets`. */
  path: string;
  /**
   * How to list; by default {@link streamList} of `path`, page by page, each object transformed as
   * soon as it is parsed, so that a list never holds more than one whole object.
   */
  list?: (() => Promise<KubernetesListObject<T>>) | undefined;
  labelSelector?: string;
  logger: Pick<Logger, 'warn' | 'info' | 'debug'>;
  backoff?: BackoffOptions;
  /**
   * Restart the watch when neither an event nor a (re)connect was seen for this long. The watch
   * already resumes after {@link WATCH_INACTIVITY_TIMEOUT_MS} of silence; this catches a watch
   * loop that stalled some other way.
   */
  watchdogMs?: number;
  /** Observers for metrics. */
  hooks?: { restarted?(): void; synced?(): void; listed?(): void } | undefined;
  /**
   * What the cache keeps of each object (controller-runtime's TransformFunc); by default
   * {@link compactObject}: no `metadata.managedFields`, labels and annotations bounded. Must keep
   * `metadata.name`, `namespace` and `resourceVersion`, and give the same result when applied to
   * its own output (a streamed list has already transformed its items).
   */
  transform?: ((obj: T) => T) | undefined;
}

/** How long a watch may stay silent before it is resumed: the API server bookmarks every minute. */
export const WATCH_INACTIVITY_TIMEOUT_MS = 150_000;

/**
 * A Watch that asks for bookmarks. client-node resumes a watch from the last resourceVersion it
 * saw but never asks for bookmarks, so on a quiet resource that version falls out of the API
 * server's watch window (etcd compacts every 5 minutes) and the next reconnect ends in 410 and a
 * full relist. Bookmarks carry a fresh resourceVersion about once a minute; client-node already
 * stores it.
 */
export function bookmarkingWatch<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  transform: (obj: T) => T = (obj) => obj,
): Watch {
  const inner = new Watch(kubeConfig);
  // client-node ends a watch after 30 s without data and resumes it; the API server sends a
  // bookmark to each watcher only after a minute, so a quiet watch would never see one and keep
  // resuming from an ever older version. Silence past two bookmark periods means a dead stream.
  // (a private field of Watch, set as client-node's own tests do)
  (inner as unknown as { requestTimeoutMs: number }).requestTimeoutMs = WATCH_INACTIVITY_TIMEOUT_MS;
  const watch = Object.create(inner) as Watch;
  watch.watch = (path, queryParams, callback, done) =>
    inner.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true },
      (phase, obj, watchObj) =>
        callback(phase, phase === 'ERROR' || phase === 'BOOKMARK' ? obj : transform(obj), watchObj),
      done,
    );
  return watch;
}

/**
 * A client-node informer that keeps itself alive: client-node stops for good on any error other
 * than 410 (connection refused, apiserver restart, 5xx, failed list), so this restarts it with
 * backoff, resuming from the last resourceVersion (a 410 then relists). Handlers are isolated: one
 * that throws is logged, never an unhandled rejection.
 */
export class ResilientInformer<T extends KubernetesObject> {
  private readonly informer: Informer<T> & ObjectCache<T>;
  private readonly options: ResilientInformerOptions<T>;
  private readonly backoff: BackoffOptions;
  private failures = 0;
  private stopped = true;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  /** When the watch last showed life, on the monotonic clock (elapsed time only). */
  private lastActivity = performance.now();
  private hasSynced = false;
  private restarts = 0;
  private lists = 0;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(options: ResilientInformerOptions<T>) {
    this.options = options;
    this.backoff = options.backoff ?? INFORMER_BACKOFF;
    // Synced means "the first list is in the cache", not "the watch is connected": a watch that
    // hangs on connect must not keep the operator unready, and its watchdog will restart it.
    const transform = options.transform ?? compactObject;
    const list = async () => {
      const result = options.list
        ? await options.list().then((listed) => ({ ...listed, items: listed.items.map(transform) }))
        : await streamList(options.kubeConfig, options.path, {
            labelSelector: options.labelSelector,
            transform,
          });
      this.failures = 0;
      this.lists++;
      options.hooks?.listed?.();
      // ListWatch fills its cache right after this promise resolves; mark synced after that.
      setImmediate(() => this.markSynced());
      return result;
    };
    this.informer = new ListWatch<T>(
      options.path,
      bookmarkingWatch(options.kubeConfig, transform),
      list,
      false,
      options.labelSelector,
    );
    this.informer.on('connect', () => this.touch());
    this.informer.on('error', (err) => this.onError(err));
    for (const verb of [ADD, UPDATE, DELETE] as const) {
      this.informer.on(verb, () => {
        this.touch();
        this.failures = 0; // the watch delivers again: the next failure starts from the first backoff step
      });
    }
  }

  /** True once the first list succeeded; the cache may be read from then on. */
  get synced(): boolean {
    return this.hasSynced;
  }

  /** How often the informer was restarted after an error or a silent watch. */
  get restartCount(): number {
    return this.restarts;
  }

  /** How often the informer listed its resources: once to start, then once per relist. */
  get listCount(): number {
    return this.lists;
  }

  /** Registers a handler; errors it throws are logged and swallowed. */
  on(event: InformerEvent, handler: (obj: T) => void): void {
    this.informer.on(event, (obj: T) => {
      try {
        handler(obj);
      } catch (err) {
        this.options.logger.warn({ informer: this.options.name, err }, 'informer handler failed');
      }
    });
  }

  /** An object from the cache, or undefined. */
  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  /** Every cached object, optionally of one namespace. */
  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }

  /** Starts listing and watching; resolves once the cache has synced (retrying until then). */
  async start(): Promise<void> {
    this.stopped = false;
    this.armWatchdog();
    void this.attempt();
    if (this.hasSynced) return;
    await new Promise<void>((resolve) => this.syncWaiters.push(resolve));
  }

  /** Stops watching and cancels pending restarts; the cache keeps its last contents. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.watchdogTimer);
    await this.informer.stop();
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    // client-node reports list and watch failures through the error callback, not by rejecting.
    await this.informer.start();
  }

  private markSynced(): void {
    if (this.hasSynced || this.stopped) return;
    this.hasSynced = true;
    this.options.hooks?.synced?.();
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private onError(err: unknown): void {
    if (this.stopped) return;
    this.failures++;
    const delay = backoffDelay(this.failures, this.backoff);
    const status =
      (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
    if (status === 429 && !this.hasSynced) {
      // Right after a CRD is installed the API server answers its first lists with 429 while
      // it fills the new kind's watch cache (seen on every `helm install`): expected, not a fault.
      this.options.logger.info(
        { informer: this.options.name, retryInMs: delay },
        'API server not ready to list this kind yet (429); retrying',
      );
    } else {
      this.options.logger.warn(
        { informer: this.options.name, err: describeError(err), retryInMs: delay },
        'watch failed; restarting',
      );
    }
    this.scheduleRestart(delay);
  }

  private scheduleRestart(delayMs: number): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restarts++;
      this.options.hooks?.restarted?.();
      void this.attempt();
    }, delayMs);
    this.restartTimer.unref?.();
  }

  private touch(): void {
    this.lastActivity = performance.now();
  }

  private armWatchdog(): void {
    const limit = this.options.watchdogMs ?? 5 * 60_000;
    clearInterval(this.watchdogTimer);
    this.watchdogTimer = setInterval(
      () => {
        if (this.stopped || performance.now() - this.lastActivity < limit) return;
        this.options.logger.warn(
          { informer: this.options.name, silentMs: limit },
          'watch silent; restarting',
        );
        this.touch();
        void this.informer.stop().then(() => this.scheduleRestart(0));
      },
      Math.min(limit, 30_000),
    );
    this.watchdogTimer.unref?.();
  }
}

/**
 * A one-line description of a watch error: name, HTTP status and the first line of the message.
 * client-node's ApiException message goes on with response headers and body, which help nobody
 * in a log line and could one day carry something sensitive.
 */
function describeError(err: unknown): string {
  if (err instanceof Error) {
    const e = err as { statusCode?: number; code?: string | number };
    const code = e.statusCode ?? e.code;
    const firstLine = err.message.split('\n', 1)[0] ?? '';
    return code === undefined ? `${err.name}: ${firstLine}` : `${err.name} (${String(code)}): ${firstLine}`;
  }
  return String(err).split('\n', 1)[0] ?? '';
}
