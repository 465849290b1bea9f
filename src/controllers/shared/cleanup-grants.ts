import type { CleanupPolicySpec } from '../../crds/cleanup-policy.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import { expandPattern, GrantReason, globWithin, grantsFor, type Refusal } from './grants.ts';

/** What a CleanupPolicy may do once its grants allow it. */
export type CleanupAllowance =
  | {
      allowed: true /** Runs per hour the policy may make; undefined: not limited by a grant. */;
      runsPerHour?: number;
    }
  | { allowed: false; refusal: Refusal };

/** The parts of a CleanupPolicy spec the grants judge. */
export type GrantedCleanupSpec = Pick<CleanupPolicySpec, 'repositories' | 'mode' | 'maxDeletionsPerRun'>;

/**
 * Whether `registry` lets a CleanupPolicy in `namespace` run with `spec`. Each repositories.include
 * glob must lie inside the cleanup repositories of one grant that also allows the policy's mode
 * (Native only where granted) and its maxDeletionsPerRun. `scheduleRuns(limit)` counts the most
 * runs the schedule makes in any hour, stopping once it found more than `limit` (the caller knows
 * cron; undefined in Native mode, which has no schedule); it may not exceed the grants'
 * runsPerHour. The allowance carries the runs per hour that bound runs on request.
 */
export function checkCleanupGrants(
  registry: Pick<ContainerRegistry, 'metadata' | 'spec'>,
  namespace: string,
  labels: Readonly<Record<string, string>>,
  spec: GrantedCleanupSpec,
  scheduleRuns: ((limit: number) => number) | undefined,
): CleanupAllowance {
  const granted = grantsFor(registry, namespace, labels);
  if (granted.kind === 'unrestricted') return { allowed: true };
  if (granted.kind === 'refused') return { allowed: false, refusal: granted.refusal };
  const ref = granted.registry;
  const cleanup = granted.grants.flatMap(({ grant, source }) =>
    grant.cleanup ? [{ cleanup: grant.cleanup, source: `${source}.cleanup` }] : [],
  );
  const refuse = (message: string): CleanupAllowance => ({
    allowed: false,
    refusal: { reason: GrantReason.CleanupNotGranted, message },
  });
  if (cleanup.length === 0)
    return refuse(`${ref} grants namespace ${namespace} no CleanupPolicies (spec.grants[].cleanup is unset)`);
  let runsPerHour: number | undefined;
  for (const [i, glob] of spec.repositories.include.entries()) {
    const within = cleanup.filter(({ cleanup: c }) =>
      c.repositories.some((p) => globWithin(glob, expandPattern(p, namespace))),
    );
    if (within.length === 0) {
      const allowed = cleanup
        .map(
          ({ cleanup: c, source }) =>
            `${c.repositories.map((p) => expandPattern(p, namespace)).join(', ')} (${source})`,
        )
        .join('; ');
      return refuse(
        `spec.repositories.include[${i}] ${glob} reaches repositories ${ref} does not let namespace ` +
          `${namespace} clean up; it allows: ${allowed}`,
      );
    }
    const modes = within.filter(({ cleanup: c }) => spec.mode !== 'Native' || c.native);
    if (modes.length === 0) {
      return refuse(
        `spec.mode Native (provider auto-prune without a deletion limit) is not allowed for namespace ${namespace} ` +
          `by ${ref} (${within.map((w) => w.source).join(', ')}: native is false); use mode: Operator`,
      );
    }
    const limited = modes.filter(
      ({ cleanup: c }) => spec.mode === 'Native' || spec.maxDeletionsPerRun <= c.maxDeletionsPerRun,
    );
    if (limited.length === 0) {
      const most = Math.max(...modes.map(({ cleanup: c }) => c.maxDeletionsPerRun));
      return refuse(
        `spec.maxDeletionsPerRun ${spec.maxDeletionsPerRun} is more than ${ref} allows namespace ${namespace}: ` +
          `at most ${most} (${modes.map((m) => m.source).join(', ')}.maxDeletionsPerRun)`,
      );
    }
    const most = Math.max(...limited.map(({ cleanup: c }) => c.runsPerHour));
    runsPerHour = runsPerHour === undefined ? most : Math.min(runsPerHour, most);
  }
  const scheduled = runsPerHour === undefined ? undefined : scheduleRuns?.(runsPerHour);
  if (runsPerHour !== undefined && scheduled !== undefined && scheduled > runsPerHour) {
    return refuse(
      `spec.schedule runs ${scheduled} or more times in an hour; ${ref} allows namespace ${namespace} ` +
        `at most ${runsPerHour} runs per hour (spec.grants[].cleanup.runsPerHour)`,
    );
  }
  return runsPerHour === undefined ? { allowed: true } : { allowed: true, runsPerHour };
}
