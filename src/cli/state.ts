import { withoutUndefined } from '../util/objects.ts';
import { relativeTime, timeOf } from './format/time.ts';
import { KINDS } from './kinds.ts';
import type { BerthObject, Condition } from './objects.ts';

/** Where an object stands, worst first: Stalled needs a person, NotReady is on its way or retrying. */
export type Health = 'Stalled' | 'NotReady' | 'Ready';

const HEALTH_ORDER: Record<Health, number> = { Stalled: 0, NotReady: 1, Ready: 2 };

/** A condition of the object by type. */
export function conditionOf(obj: BerthObject, type: string): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

/**
 * The object's health as kstatus reads it: Stalled when Stalled is True; Ready only when Ready is
 * True for the current generation (a spec change not yet acted on is not Ready yet); else NotReady.
 */
export function healthOf(obj: BerthObject): Health {
  if (conditionOf(obj, 'Stalled')?.status === 'True') return 'Stalled';
  const ready = conditionOf(obj, 'Ready');
  if (ready?.status !== 'True') return 'NotReady';
  const generation = obj.metadata.generation;
  const observed = ready.observedGeneration ?? obj.status?.observedGeneration;
  if (generation !== undefined && observed !== undefined && observed < generation) return 'NotReady';
  return 'Ready';
}

/** One object as `berth status` shows it; times stay RFC 3339 here (relative only when printed). */
export interface Summary {
  kind: BerthObject['kind'];
  namespace: string;
  name: string;
  health: Health;
  /** The READY column: the Ready condition's status, or `Stalled`. */
  ready: 'True' | 'False' | 'Unknown' | 'Stalled';
  reason: string;
  message: string;
  /** RegistryToken. */
  expiresAt?: string;
  renewAt?: string;
  /** CleanupPolicy. */
  lastRunAt?: string;
  nextRunAt?: string;
  suspended?: boolean;
  mode?: string;
  /** ContainerRegistry. */
  lastSyncTime?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Summarises an object: health, the condition that explains it, and the times that matter for its kind. */
export function summarize(obj: BerthObject): Summary {
  const health = healthOf(obj);
  const stalled = conditionOf(obj, 'Stalled');
  const ready = conditionOf(obj, 'Ready');
  const telling = health === 'Stalled' ? stalled : ready;
  const stale = health === 'NotReady' && ready?.status === 'True';
  const status = obj.status ?? {};
  const base: Summary = {
    kind: obj.kind,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name,
    health,
    ready:
      health === 'Stalled'
        ? 'Stalled'
        : stale
          ? 'Unknown'
          : ((ready?.status ?? 'Unknown') as Summary['ready']),
    reason: stale ? 'Progressing' : (telling?.reason ?? (obj.status?.conditions ? '' : 'NotObserved')),
    message: stale
      ? `generation ${obj.metadata.generation} not acted on yet`
      : (telling?.message ??
        (obj.status?.conditions
          ? ''
          : 'berth has not looked at it yet: is the operator running? (berth check)')),
  };
  const spec = obj.spec;
  switch (obj.kind) {
    case 'RegistryToken':
      return withDefined(
        base,
        withoutUndefined({ expiresAt: str(status.expiresAt), renewAt: str(status.renewAt) }),
      );
    case 'CleanupPolicy':
      return withDefined(
        base,
        withoutUndefined({
          lastRunAt: str(status.lastRunAt),
          nextRunAt: str(status.nextRunAt),
          suspended: spec.suspend === true ? true : undefined,
          mode: spec.mode === 'Native' ? 'Native' : undefined,
        }),
      );
    case 'ContainerRegistry':
      return withDefined(base, withoutUndefined({ lastSyncTime: str(status.lastSyncTime) }));
  }
}

function withDefined(base: Summary, extra: Partial<Summary>): Summary {
  const out: Summary = { ...base };
  for (const [k, v] of Object.entries(extra))
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * Problems first: Stalled, then NotReady, then Ready; within each, kinds in dependency order
 * (registries, tokens, policies), then namespace and name.
 */
export function sortProblemsFirst<T extends Pick<Summary, 'health' | 'kind' | 'namespace' | 'name'>>(
  rows: readonly T[],
): T[] {
  const kindRank = (k: string) => KINDS.findIndex((x) => x.kind === k);
  return [...rows].sort(
    (a, b) =>
      HEALTH_ORDER[a.health] - HEALTH_ORDER[b.health] ||
      kindRank(a.kind) - kindRank(b.kind) ||
      a.namespace.localeCompare(b.namespace) ||
      a.name.localeCompare(b.name),
  );
}

/**
 * The times that matter for an object, in words relative to now: a token's expiry and renewal, a
 * policy's last and next run, a registry's last sync.
 */
export function whenOf(s: Summary, nowMs: number): string {
  const rel = (t: string | undefined) => relativeTime(t, nowMs);
  switch (s.kind) {
    case 'RegistryToken': {
      const parts: string[] = [];
      if (s.expiresAt) parts.push(`expires ${rel(s.expiresAt)}`);
      else if (s.renewAt || s.health === 'Ready') parts.push('never expires');
      if (s.renewAt) {
        const due = (timeOf(s.renewAt) ?? 0) <= nowMs;
        parts.push(due ? `renewal due ${rel(s.renewAt)}` : `renews ${rel(s.renewAt)}`);
      }
      return parts.join(', ');
    }
    case 'CleanupPolicy': {
      if (s.mode === 'Native') return 'provider prunes (Native)';
      const last = s.lastRunAt ? `ran ${rel(s.lastRunAt)}` : 'never ran';
      // nextRunAt stays on the slot while its run goes on (status is written when the run ends),
      // so just after a slot it lies in the past: that is a run due, not one that comes next.
      const due = s.nextRunAt !== undefined && (timeOf(s.nextRunAt) ?? 0) <= nowMs;
      const next = s.suspended
        ? 'suspended'
        : s.nextRunAt
          ? `${due ? 'run due' : 'next'} ${rel(s.nextRunAt)}`
          : '';
      return next ? `${last}, ${next}` : last;
    }
    case 'ContainerRegistry':
      return s.lastSyncTime ? `synced ${rel(s.lastSyncTime)}` : '';
  }
}
