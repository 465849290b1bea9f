import type { OperatorMetrics } from '../../metrics.ts';
import { TokenBucket } from '../../util/token-bucket.ts';
import { type Clock, systemClock } from '../runtime/clock.ts';

/** Work a tenant can trigger on request: a credential re-issued, or a CleanupPolicy run. */
export type BudgetKind = 'rotation' | 'cleanupRun';

/** What a budget says to one request: go ahead, or which limit refused it and when to try again. */
export type BudgetDecision =
  | { allowed: true }
  | { allowed: false; scope: 'object' | 'namespace'; retryAfterMs: number; message: string };

/**
 * Requests per hour at each level; 0 is unlimited. The names are the flags' (src/config.ts), so the
 * parsed configuration is a BudgetLimits as it is.
 */
export interface BudgetLimits {
  /** Rotations on request per RegistryToken (`--budget-token-rotations-per-hour`). */
  budgetTokenRotationsPerHour: number;
  /** Rotations on request per namespace (`--budget-namespace-rotations-per-hour`). */
  budgetNamespaceRotationsPerHour: number;
  /** Runs on request per CleanupPolicy (`--budget-policy-runs-per-hour`). */
  budgetPolicyRunsPerHour: number;
  /** Runs on request per namespace (`--budget-namespace-runs-per-hour`). */
  budgetNamespaceRunsPerHour: number;
}

/** Condition and Event reason for work refused by a budget, the same for both kinds. */
export const BudgetReason = { Throttled: 'Throttled' } as const;

/** How often full buckets are dropped: memory follows the objects busy in the last hour or so. */
const SWEEP_INTERVAL_MS = 60_000;

/** What the messages say about each kind and level. */
const WORDING: Record<
  BudgetKind,
  {
    what: string;
    controller: string;
    /** The `kind` label of berth_requests_throttled_total (snake case, as label values are). */
    label: string;
    object: { per: string; limit: keyof BudgetLimits };
    namespace: { per: string; limit: keyof BudgetLimits };
  }
> = {
  rotation: {
    what: 'rotation on request',
    controller: 'registry-token',
    label: 'rotation',
    object: { per: 'per RegistryToken', limit: 'budgetTokenRotationsPerHour' },
    namespace: { per: 'per namespace', limit: 'budgetNamespaceRotationsPerHour' },
  },
  cleanupRun: {
    what: 'cleanup run on request',
    controller: 'cleanup-policy',
    label: 'cleanup_run',
    object: { per: 'per CleanupPolicy', limit: 'budgetPolicyRunsPerHour' },
    namespace: { per: 'per namespace', limit: 'budgetNamespaceRunsPerHour' },
  },
};

/** One object's bucket, the limit it was made for, and the request it last paid for. */
interface ObjectBudget {
  bucket: TokenBucket;
  perHour: number;
  overridden: boolean;
  paidFor?: string;
}

/** The flag of a limit: `budgetPolicyRunsPerHour` -> `--budget-policy-runs-per-hour`. */
const flagOf = (limit: keyof BudgetLimits) => `--${limit.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** A wait as a person reads it, rounded up: `45s`, `8m`, `1h`, `1h5m`. */
export function waitText(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const rest = minutes % 60;
  return rest === 0 ? `${minutes / 60}h` : `${Math.floor(minutes / 60)}h${rest}m`;
}

/**
 * Budgets for work a tenant can trigger on request, so that a loop in one namespace (rewriting
 * `berth.dev/rotate-requested-at`, deleting the Secret, requesting cleanup runs) cannot spend the
 * provider's rate limit and the workers that every other tenant's renewals need. Each request
 * must find a token in its object's bucket and in its namespace's; it takes both or neither.
 * Buckets hold N and refill N per hour (one every 60/N minutes). They live in the leader's memory
 * and start full after a leader change or restart; full buckets are dropped, so memory follows the
 * objects busy in the last hour, not all objects.
 */
export class RequestBudgets {
  private readonly limits: BudgetLimits;
  private readonly clock: Clock;
  private readonly metrics: Pick<OperatorMetrics, 'requestsThrottled'> | undefined;
  private readonly objects = new Map<string, ObjectBudget>();
  private readonly namespaces = new Map<string, TokenBucket>();
  private lastSweep: number;

  constructor(
    limits: BudgetLimits,
    clock: Clock = systemClock,
    metrics?: Pick<OperatorMetrics, 'requestsThrottled'>,
  ) {
    this.limits = limits;
    this.clock = clock;
    this.metrics = metrics;
    this.lastSweep = clock.now();
    for (const kind of Object.keys(WORDING) as BudgetKind[])
      for (const scope of ['object', 'namespace'] as const)
        metrics?.requestsThrottled.inc(
          { controller: WORDING[kind].controller, kind: WORDING[kind].label, scope },
          0,
        );
  }

  /**
   * Pays for one request of `kind` by the object `objectKey` (`namespace/name`) in `namespace`.
   * `perObjectOverride` replaces the per-object limit (a registry grant's runs per hour; 0 is
   * unlimited, as with the flag). `requestId` names the request (the annotation's value, the
   * Secret's resourceVersion, the spec's generation): taking again for the request an object
   * last paid for is free, so a reconcile retried after a conflict or a provider error does not
   * pay twice. A refusal takes nothing.
   */
  take(
    kind: BudgetKind,
    namespace: string,
    objectKey: string,
    perObjectOverride?: number,
    requestId?: string,
  ): BudgetDecision {
    this.sweep();
    const wording = WORDING[kind];
    const object = this.objectBudget(kind, objectKey, perObjectOverride);
    if (object && requestId !== undefined && object.paidFor === requestId) return { allowed: true };
    const namespaceLimit = this.limits[wording.namespace.limit];
    const namespaceBucket =
      namespaceLimit > 0 ? this.namespaceBucket(kind, namespace, namespaceLimit) : undefined;
    const objectWait = object?.bucket.waitMs() ?? 0;
    const namespaceWait = namespaceBucket?.waitMs() ?? 0;
    if (objectWait === 0 && namespaceWait === 0) {
      object?.bucket.tryTake();
      namespaceBucket?.tryTake();
      if (object && requestId !== undefined) object.paidFor = requestId;
      return { allowed: true };
    }
    // Both must have a token, so the longer wait is the one to report.
    const scope = objectWait >= namespaceWait ? 'object' : 'namespace';
    const retryAfterMs = Math.max(objectWait, namespaceWait);
    const limit = scope === 'object' ? (object?.perHour ?? 0) : namespaceLimit;
    const source =
      scope === 'object' && object?.overridden ? "the registry's grant" : flagOf(wording[scope].limit);
    this.metrics?.requestsThrottled.inc({ controller: wording.controller, kind: wording.label, scope });
    return {
      allowed: false,
      scope,
      retryAfterMs,
      message: `${wording.what} throttled: ${limit} per hour ${wording[scope].per} (${source}); next allowed in ${waitText(retryAfterMs)}`,
    };
  }

  /** Drops an object's budget (it was deleted); a new object of the same name starts full. */
  forget(kind: BudgetKind, objectKey: string): void {
    this.objects.delete(`${kind}\u0000${objectKey}`);
  }

  /** Buckets held now, for tests and debugging. */
  get held(): { objects: number; namespaces: number } {
    return { objects: this.objects.size, namespaces: this.namespaces.size };
  }

  /** The object's budget, made or re-made for its current limit; undefined when it has none. */
  private objectBudget(
    kind: BudgetKind,
    objectKey: string,
    override: number | undefined,
  ): ObjectBudget | undefined {
    const id = `${kind}\u0000${objectKey}`;
    // A grant's value that is no count (negative, not a number) falls back to the flag; a fraction
    // rounds down but never to 0, which would lift the limit it meant to tighten.
    const usable = override !== undefined && Number.isFinite(override) && override >= 0;
    const perHour = usable
      ? override === 0
        ? 0
        : Math.max(1, Math.floor(override))
      : this.limits[WORDING[kind].object.limit];
    const existing = this.objects.get(id);
    if (perHour <= 0) {
      this.objects.delete(id);
      return undefined;
    }
    if (existing && existing.perHour === perHour) {
      existing.overridden = usable;
      return existing;
    }
    const budget: ObjectBudget = {
      bucket: TokenBucket.perHour(perHour, this.clock, existing?.bucket),
      perHour,
      overridden: usable,
      ...(existing?.paidFor === undefined ? {} : { paidFor: existing.paidFor }),
    };
    this.objects.set(id, budget);
    return budget;
  }

  private namespaceBucket(kind: BudgetKind, namespace: string, perHour: number): TokenBucket {
    const id = `${kind}\u0000${namespace}`;
    const existing = this.namespaces.get(id);
    if (existing) return existing;
    const bucket = TokenBucket.perHour(perHour, this.clock);
    this.namespaces.set(id, bucket);
    return bucket;
  }

  /** Drops full buckets (no different from new ones) at most once a minute. */
  private sweep(): void {
    const now = this.clock.now();
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [id, bucket] of this.namespaces) if (bucket.full) this.namespaces.delete(id);
    for (const [id, budget] of this.objects) if (budget.bucket.full) this.objects.delete(id);
  }
}

/** Why a request must wait, for the reconciler's condition and Event. */
export interface Throttle {
  message: string;
  retryAfterMs: number;
}

/**
 * Pays for one request of `kind` by `object` (its namespace and name) from `budgets`: undefined
 * when it may go ahead (no budgets, or no request: work berth does on its own schedule is never
 * charged), else why and for how long it waits. The one way both reconcilers ask, so a throttled
 * request reads the same for tokens and policies.
 */
export function payFor(
  budgets: Pick<RequestBudgets, 'take'> | undefined,
  kind: BudgetKind,
  object: { namespace: string; name: string },
  request: string | undefined,
  perObjectOverride?: number,
): Throttle | undefined {
  if (!budgets || request === undefined) return undefined;
  const { namespace, name } = object;
  const decision = budgets.take(kind, namespace, `${namespace}/${name}`, perObjectOverride, request);
  return decision.allowed ? undefined : decision;
}
