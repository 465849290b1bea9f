import type { NativeRetentionRule } from '../../clients/provider.ts';
import { type CleanupPolicySpec, DEFAULT_MAX_DELETIONS_PER_RUN } from '../../crds/cleanup-policy.ts';
import { durationMs } from '../../crds/duration.ts';
import { globToRegExp } from './glob.ts';

/** What Native mode can carry over to the provider, and what it cannot. */
export interface NativeTranslation {
  /** The rule, when the policy's core rule can be expressed at all. */
  rule?: NativeRetentionRule;
  /** Repositories to put the policy on; `undefined` in the list means the whole registry. */
  targets: (string | undefined)[];
  /** Spec fields set that Native mode ignores or cannot express, each with why (for the Ready message). */
  unsupported: string[];
  /** Why nothing can be done natively, when `rule` is absent. */
  refusal?: string;
}

/** A Go-style duration as Quay writes durations: the largest whole unit of w, d, h, m. */
export function quayDuration(goDuration: string): string {
  const seconds = durationMs(goDuration) / 1000;
  for (const [unit, size] of [
    ['w', 604_800],
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/**
 * Translates a CleanupPolicy's rules into one Quay auto-prune rule: keepLast (number_of_tags) or
 * olderThan (creation_date), with at most one tag pattern (from tags.include, tags.exclude or
 * keepTags). Everything else is listed as unsupported, so the user sees exactly what Quay will not
 * do; a policy whose core cannot be expressed is refused rather than half applied.
 */
export function translateToNative(spec: CleanupPolicySpec): NativeTranslation {
  const { rules, repositories } = spec;
  const unsupported: string[] = [];
  const patterns: { glob: string; matches: boolean; field: string }[] = [
    ...(rules.tags?.include ?? []).map((glob) => ({ glob, matches: true, field: 'rules.tags.include' })),
    ...(rules.tags?.exclude ?? []).map((glob) => ({ glob, matches: false, field: 'rules.tags.exclude' })),
    ...(rules.keepTags ?? []).map((glob) => ({ glob, matches: false, field: 'rules.keepTags' })),
  ];
  const targets: (string | undefined)[] = [];
  const wildcard = repositories.include.filter((r) => /[*?]/.test(r));
  if (repositories.include.includes('**') && !repositories.exclude?.length) targets.push(undefined);
  else if (wildcard.length > 0) {
    return {
      targets,
      unsupported,
      refusal:
        'Native mode puts policies on the organization (repositories.include: ["**"] without exclude) or on ' +
        `named repositories; patterns such as ${wildcard.join(', ')} cannot be expressed`,
    };
  } else targets.push(...repositories.include);

  if (rules.keepLast !== undefined && rules.olderThan !== undefined) {
    return {
      targets,
      unsupported,
      refusal: 'a Quay auto-prune policy takes keepLast or olderThan, not both',
    };
  }
  if (patterns.length > 1) {
    return {
      targets,
      unsupported,
      refusal: `a Quay auto-prune policy takes one tag pattern; ${patterns.map((p) => p.field).join(', ')} give ${patterns.length}`,
    };
  }
  if (rules.untagged === 'Delete') unsupported.push('rules.untagged: Delete (Quay prunes tags only)');
  if (durationMs(rules.minAge) !== 3_600_000) unsupported.push('rules.minAge (Quay has no minimum age)');
  if (spec.dryRun) unsupported.push('dryRun (Quay prunes for real; nothing is applied in a dry run)');
  // Only what the user set: the default is stored like a choice, so it counts as unset.
  if (spec.maxDeletionsPerRun !== DEFAULT_MAX_DELETIONS_PER_RUN)
    unsupported.push('maxDeletionsPerRun (Quay prunes without a limit)');
  const pattern = patterns[0];
  const rule: NativeRetentionRule = {
    ...(rules.keepLast !== undefined ? { keepLast: rules.keepLast } : {}),
    ...(rules.olderThan !== undefined ? { olderThan: quayDuration(rules.olderThan) } : {}),
    ...(pattern ? { tagPattern: globToRegExp(pattern.glob).source, tagPatternMatches: pattern.matches } : {}),
  };
  return { rule, targets, unsupported };
}
