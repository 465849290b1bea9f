import { type CoordinationV1Api, type V1Lease, type V1LeaseSpec, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock.ts';
import { httpStatusOf } from './outcome.ts';

/** Options for {@link LeaderElector}; the timings default to client-go's (15 s, 10 s, 2 s). */
export interface LeaderElectionOptions {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  logger: Pick<Logger, 'info' | 'warn'>;
  clock?: Clock;
  onStartedLeading: () => void;
  /** Called once when leadership is lost (renewal failed for renewDeadline); the process should stop working. */
  onStoppedLeading: () => void;
}

/**
 * Lease-based leader election (client-node has none). A candidate takes the Lease when it is free
 * or when its record has not changed for a lease duration, judged by the *local* clock from the
 * moment this process observed it, so clock skew between nodes does not matter. Writes use the
 * Lease's resourceVersion: of two candidates racing, one gets 409 and stays a follower.
 */
export class LeaderElector {
  private readonly options: Required<Omit<LeaderElectionOptions, 'clock'>> & { clock: Clock };
  private observedVersion: string | undefined;
  private observedAt = 0;
  private lastRenewal = 0;
  private leading = false;
  private stopped = false;
  private timer: ReturnType<Clock['setTimer']> | undefined;
  private wake: (() => void) | undefined;

  constructor(options: LeaderElectionOptions) {
    this.options = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      clock: systemClock,
      ...options,
    };
  }

  /** True while this process holds the Lease. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns, then renews, until {@link stop} or until leadership is lost. */
  async run(): Promise<void> {
    const { retryPeriodMs, renewDeadlineMs, clock, logger } = this.options;
    while (!this.stopped) {
      const ok = await this.tryAcquireOrRenew().catch((err: unknown) => {
        logger.warn({ err: (err as Error).message, lease: this.options.name }, 'lease update failed');
        return false;
      });
      if (this.stopped) break;
      if (ok) {
        this.lastRenewal = clock.now();
        if (!this.leading) {
          this.leading = true;
          logger.info({ lease: this.options.name, identity: this.options.identity }, 'became leader');
          this.options.onStartedLeading();
        }
      } else if (this.leading && clock.now() - this.lastRenewal > renewDeadlineMs) {
        this.leading = false;
        logger.warn({ lease: this.options.name }, 'lost leadership: could not renew the lease in time');
        this.options.onStoppedLeading();
        return;
      }
      // Followers add jitter (as client-go's JitterFactor 1.2) so candidates do not move in step.
      const delay = this.leading ? retryPeriodMs : retryPeriodMs * (1 + 0.2 * Math.random());
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = clock.setTimer(resolve, delay);
      });
    }
  }

  /** Stops campaigning; a leader releases the Lease so a successor need not wait for it to expire. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.options.clock.clearTimer(this.timer);
    this.wake?.();
    if (!this.leading) return;
    this.leading = false;
    try {
      const { api, namespace, name } = this.options;
      const lease = await api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      const now = new V1MicroTime(this.options.clock.now());
      await api.replaceNamespacedLease({
        name,
        namespace,
        body: {
          ...lease,
          spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now },
        },
      });
      this.options.logger.info({ lease: name }, 'released leadership');
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'could not release the lease');
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity, clock, leaseDurationMs } = this.options;
    const now = clock.now();
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (httpStatusOf(err) !== 404) throw err;
      return this.write(() =>
        api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: this.spec(undefined, now) },
        }),
      );
    }
    const version = lease.metadata?.resourceVersion;
    if (version !== this.observedVersion) {
      this.observedVersion = version;
      this.observedAt = now;
    }
    const holder = lease.spec?.holderIdentity;
    const durationMs = (lease.spec?.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
    if (holder && holder !== identity && now < this.observedAt + durationMs) return false;
    return this.write(() =>
      api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec: this.spec(lease, now) } }),
    );
  }

  private spec(previous: V1Lease | undefined, now: number): V1LeaseSpec {
    const mine = previous?.spec?.holderIdentity === this.options.identity;
    const transitions = previous?.spec?.leaseTransitions ?? 0;
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
      acquireTime: mine && previous?.spec?.acquireTime ? previous.spec.acquireTime : new V1MicroTime(now),
      renewTime: new V1MicroTime(now),
      leaseTransitions: mine || !previous ? transitions : transitions + 1,
    };
  }

  private async write(call: () => Promise<V1Lease>): Promise<boolean> {
    try {
      const written = await call();
      this.observedVersion = written.metadata?.resourceVersion;
      this.observedAt = this.options.clock.now();
      return true;
    } catch (err) {
      if (httpStatusOf(err) === 409) return false;
      throw err;
    }
  }
}
