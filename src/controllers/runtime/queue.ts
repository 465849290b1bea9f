import { type BackoffOptions, backoffDelay } from './backoff.ts';
import { type Clock, systemClock, type TimerHandle } from './clock.ts';
import { FairReadyKeys } from './fair-ready.ts';

/** Per-key failure backoff of the work queue: about 1 s doubling to 5 min (between cert-manager and Flux). */
export const QUEUE_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 5 * 60_000, jitter: 0.1 };

/** Options for {@link WorkQueue}. */
export interface WorkQueueOptions {
  name: string;
  /** How many keys may be processed at once (never the same key twice). */
  workers: number;
  backoff?: BackoffOptions;
  clock?: Clock;
  random?: () => number;
  /** Observes queue activity, for metrics. */
  hooks?: WorkQueueHooks | undefined;
}

/** Callbacks for metrics; all optional. */
export interface WorkQueueHooks {
  added?(key: string): void;
  retried?(key: string): void;
  depthChanged?(depth: number): void;
  activeChanged?(active: number): void;
  /** Time a key waited between becoming ready and a worker taking it. */
  waited?(ms: number): void;
}

/**
 * A work queue in the client-go mould: a key is queued at most once (dedupe), never processed by
 * two workers at once (a key added while it runs is processed again afterwards), can be added
 * after a delay (the earliest pending deadline wins) or with per-key exponential backoff. Unlike
 * client-go's single FIFO, ready keys are served round-robin by namespace ({@link FairReadyKeys}),
 * so one tenant's burst cannot hold back other tenants' renewals.
 */
export class WorkQueue {
  private readonly options: WorkQueueOptions;
  private readonly clock: Clock;
  private readonly backoff: BackoffOptions;
  private readonly ready = new FairReadyKeys();
  private readonly readySince = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys being processed that wait for shared work and hold no worker meanwhile ({@link park}). */
  private readonly parked = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: TimerHandle }>();
  private readonly failures = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private processFn: ((key: string) => Promise<void>) | undefined;
  private shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.backoff = options.backoff ?? QUEUE_BACKOFF;
  }

  /** Keys waiting for a worker, over all namespaces. */
  get depth(): number {
    return this.ready.size;
  }

  /** Keys being processed right now and holding a worker (parked ones do not). */
  get active(): number {
    return this.processing.size - this.parked.size;
  }

  /**
   * Lets a key being processed wait for `work` without holding its worker: the worker takes the
   * next ready key meanwhile, and the key is still processed by no one else (an add marks it to
   * run again afterwards). For work shared by many keys and done elsewhere (one paged list of a
   * registry that every token waiting for it shares): held workers would leave the queue at one
   * wave per list. When `work` settles the key goes on at once, even if that briefly takes one
   * worker more than `workers` — making it wait for a worker again could starve it.
   */
  async park<T>(key: string, work: Promise<T>): Promise<T> {
    if (!this.processing.has(key) || this.parked.has(key)) return work;
    this.parked.add(key);
    this.options.hooks?.activeChanged?.(this.active);
    this.pump();
    try {
      return await work;
    } finally {
      this.parked.delete(key);
      this.options.hooks?.activeChanged?.(this.active);
    }
  }

  /** Consecutive failures recorded for a key. */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Queues a key now; a no-op when it is already queued or the queue shuts down. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.options.hooks?.added?.(key);
    if (!this.processing.has(key)) this.enqueue(key);
    this.pump();
  }

  /** Queues a key after `delayMs`, unless an earlier add for it is already pending. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimer(pending.timer);
    const timer = this.clock.setTimer(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { at, timer });
  }

  /** Queues a key after its backoff delay and counts a failure for it. */
  addRateLimited(key: string): number {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    const delay = backoffDelay(failures, this.backoff, this.options.random);
    this.options.hooks?.retried?.(key);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets a key's backoff (after a success, or a terminal outcome). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Drops a pending delayed add (the object is gone). */
  cancelDelayed(key: string): void {
    const pending = this.delayed.get(key);
    if (pending) this.clock.clearTimer(pending.timer);
    this.delayed.delete(key);
  }

  /** Starts handing keys to `process`, at most `workers` at a time. */
  start(process: (key: string) => Promise<void>): void {
    this.processFn = process;
    this.pump();
  }

  /** Stops taking work, cancels delayed adds and waits (up to `graceMs`) for running keys to finish. */
  async shutDown(graceMs = 30_000): Promise<boolean> {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) this.clock.clearTimer(timer);
    this.delayed.clear();
    this.ready.clear();
    this.readySince.clear();
    this.options.hooks?.depthChanged?.(0);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const drained = Promise.all([...this.inFlight]).then(() => true);
    const finished = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    return finished;
  }

  private enqueue(key: string): void {
    this.ready.push(key);
    this.readySince.set(key, this.clock.now());
    this.options.hooks?.depthChanged?.(this.ready.size);
  }

  private pump(): void {
    const process = this.processFn;
    if (!process) return;
    while (!this.shuttingDown && this.active < this.options.workers && this.ready.size > 0) {
      const key = this.ready.shift() as string;
      this.options.hooks?.depthChanged?.(this.ready.size);
      this.options.hooks?.waited?.(this.clock.now() - (this.readySince.get(key) ?? this.clock.now()));
      this.readySince.delete(key);
      this.dirty.delete(key);
      this.processing.add(key);
      this.options.hooks?.activeChanged?.(this.active);
      const run = process(key)
        .catch(() => undefined)
        .finally(() => {
          this.processing.delete(key);
          this.parked.delete(key);
          this.inFlight.delete(run);
          this.options.hooks?.activeChanged?.(this.active);
          // Added again while it ran: process it once more, now that it is free.
          if (this.dirty.has(key) && !this.shuttingDown) this.enqueue(key);
          this.pump();
        });
      this.inFlight.add(run);
    }
  }
}
