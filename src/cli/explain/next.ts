import { Annotation } from '../annotations.ts';
import { parseDuration, relativeTime, timeOf } from '../format/time.ts';
import type { BerthObject } from '../objects.ts';
import { type RunSummary, runHeadline } from '../run-report.ts';
import { healthOf } from '../state.ts';

/** How often a registry is compared with the provider when its spec does not say (the CRD default). */
const DEFAULT_OBSERVE_INTERVAL = '10m';
/** How often berth re-checks Quay auto-prune policies in Native mode (cleanup-policy/reconcile.ts). */
const NATIVE_RECHECK = '10m';

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** `in 6d23h, at 2026-08-09T10:00:00Z`, or `3m ago, at ...`. */
function at(t: string, nowMs: number): string {
  return `${relativeTime(t, nowMs)}, at ${t}`;
}

/** The next moment `every` after `last`, as RFC 3339, if both are known. */
function after(last: string | undefined, every: string): string | undefined {
  const base = timeOf(last);
  const ms = parseDuration(every);
  return base !== undefined && ms !== undefined
    ? new Date(base + ms).toISOString().replace('.000Z', 'Z')
    : undefined;
}

function tokenNext(obj: BerthObject, registry: BerthObject | undefined, nowMs: number): string[] {
  const st = obj.status ?? {};
  const spec = obj.spec;
  const out: string[] = [];
  const expiresAt = str(st.expiresAt);
  const renewAt = str(st.renewAt);
  if (expiresAt) out.push(`the credential expires ${at(expiresAt, nowMs)}`);
  else if (str(st.credentialId)) out.push('the credential never expires at the provider');
  if (renewAt) {
    const how =
      spec.renewal === 'Extend'
        ? 'extends its expiry'
        : 'rotates it (issues a new one, then revokes the old)';
    out.push(
      (timeOf(renewAt) ?? 0) > nowMs
        ? `berth ${how} ${at(renewAt, nowMs)}`
        : `renewal was due ${at(renewAt, nowMs)}: berth is trying, the conditions and events say what fails`,
    );
  }
  for (const p of (st.pendingRevocations ?? []) as {
    credentialId: string;
    credentialName?: string;
    revokeAfter: string;
  }[]) {
    out.push(
      `berth revokes the replaced credential ${p.credentialName ?? p.credentialId} ${at(p.revokeAfter, nowMs)}`,
    );
  }
  const every = str(registry?.spec.observeInterval) ?? DEFAULT_OBSERVE_INTERVAL;
  if (!str(st.credentialId)) return out;
  // Quay tokens poll their own grants; elsewhere one list of the registry looks at every credential.
  const check = registry?.spec.provider === 'quay' ? after(str(st.credentialCheckedAt), every) : undefined;
  if (check)
    out.push(
      `berth looks at the credential and its grants at the provider again ${at(check, nowMs)}; every ${every}, the registry's observeInterval`,
    );
  else
    out.push(
      `berth lists the registry's credentials every ${every} (its observeInterval) and replaces this one if it is gone, disabled or expired there`,
    );
  return out;
}

function policyNext(obj: BerthObject, nowMs: number): string[] {
  const st = obj.status ?? {};
  const spec = obj.spec;
  const out: string[] = [];
  if (spec.mode === 'Native') {
    const n = Array.isArray(st.nativePolicies) ? st.nativePolicies.length : 0;
    return [
      `the provider prunes by itself with ${n} auto-prune polic${n === 1 ? 'y' : 'ies'}; berth checks them again every ${NATIVE_RECHECK}`,
    ];
  }
  const lastRunAt = str(st.lastRunAt);
  if (lastRunAt && st.lastRun)
    out.push(`last run ${at(lastRunAt, nowMs)}: ${runHeadline(st.lastRun as RunSummary)}`);
  else out.push('it has not run yet');
  const what =
    spec.dryRun === true
      ? 'a dry run (deletes nothing)'
      : `deleting at most ${spec.maxDeletionsPerRun ?? 100}`;
  const nextRunAt = str(st.nextRunAt);
  const schedule = `schedule "${spec.schedule}" in ${spec.timeZone ?? 'UTC'}`;
  if (spec.suspend === true) out.push('suspended: no scheduled runs; berth cleanup run still runs it');
  else if (nextRunAt && (timeOf(nextRunAt) ?? 0) > nowMs)
    out.push(`runs next ${at(nextRunAt, nowMs)}, ${schedule}: ${what}`);
  // Status keeps the slot until its run ends: a past nextRunAt is a run under way or not started.
  else if (nextRunAt)
    out.push(
      `a scheduled run was due ${at(nextRunAt, nowMs)}, ${schedule}: berth is running it, or the operator is not running`,
    );
  const requested = obj.metadata.annotations?.[Annotation.RunRequested];
  if (requested && requested !== st.lastHandledRunRequestAt)
    out.push(`a run requested at ${requested} has not been answered yet`);
  return out;
}

function registryNext(obj: BerthObject, nowMs: number): string[] {
  const st = obj.status ?? {};
  const out: string[] = [];
  const pending = str(st.pendingCreateAt);
  if (pending)
    out.push(
      `a create was started ${at(pending, nowMs)}; berth looks the registry up by name before creating it again`,
    );
  const every = str(obj.spec.observeInterval) ?? DEFAULT_OBSERVE_INTERVAL;
  const next = after(str(st.lastSyncTime), every);
  if (next)
    out.push(
      `berth compares the registry with the provider again ${at(next, nowMs)} (every ${every}, spec.observeInterval)`,
    );
  else out.push(`berth compares the registry with the provider every ${every} (spec.observeInterval)`);
  return out;
}

/**
 * What the operator will do next and when: a token's renewal, revocations and checks; a policy's
 * next run; a registry's next comparison with the provider. Deletion and Stalled come first,
 * because they change everything else.
 */
export function nextSteps(obj: BerthObject, registry: BerthObject | undefined, nowMs: number): string[] {
  if (obj.metadata.deletionTimestamp) {
    const policy = str(obj.spec.deletionPolicy);
    const what =
      obj.kind === 'RegistryToken'
        ? `${policy === 'Retain' ? 'leaves its credentials at the provider' : 'revokes its credentials'}, removes copies and ServiceAccount entries, then deletes its Secret`
        : obj.kind === 'ContainerRegistry'
          ? policy === 'Delete'
            ? 'deletes the registry at the provider, then lets the object go'
            : 'leaves the registry at the provider and lets the object go'
          : 'lets the object go (and removes Native-mode policies at the provider)';
    return [`being deleted: berth ${what}`];
  }
  const out: string[] = [];
  const health = healthOf(obj);
  if (health === 'Stalled') out.push('nothing until the object changes: it is Stalled');
  if (health === 'NotReady')
    out.push('berth keeps trying on its own and turns it Ready once the reason above is resolved');
  switch (obj.kind) {
    case 'RegistryToken':
      return [...out, ...tokenNext(obj, registry, nowMs)];
    case 'CleanupPolicy':
      return [...out, ...policyNext(obj, nowMs)];
    case 'ContainerRegistry':
      return [...out, ...registryNext(obj, nowMs)];
  }
}
