/**
 * How a plan decides referrers (signatures, SBOMs, attestations: manifests whose `subject` or
 * cosign-style tag names another manifest): by their subject's fate, never by `keepLast` rank.
 */

import { type ManifestGraph, referrerKind, shortDigest } from './graph.ts';
import type { Decision, Outcome } from './plan.ts';
import { type Manifest, type Relations, referrerFate } from './relations.ts';

/** The rules of the plan a referrer's decision consults. */
export interface ReferrerRules {
  /** The tag rule that keeps a tag whatever its age (tags.include/exclude, keepTags), if any. */
  explicitKeep(tag: string): string | undefined;
  /** Why a manifest of this push time is too young to delete, if it is. */
  ageKeeps(pushedAt: number): string | undefined;
  /** `untagged: Keep`. */
  untaggedKept: boolean;
  graph: ManifestGraph | undefined;
  /** The delete-manifest decision of a manifest. */
  deletion(m: Manifest, tags: string[], reason: string): Decision;
}

type Verdict = { keep: string } | { remove: string; at: number };

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Decides the referrers of one repository by their subject's fate: kept with it, deleted with it
 * (unless a tag rule names the referrer itself), by age when the subject is gone, kept when
 * nobody knows. A referrer of a referrer waits for its subject's decision.
 */
export function decideReferrers(
  rules: ReferrerRules,
  list: readonly Manifest[],
  relations: Relations,
  out: Outcome,
): void {
  const listed = new Set(list.map((m) => m.digest));
  let pending = list.filter((m) => relations.subjects.has(m.digest));
  while (pending.length > 0) {
    const waiting = new Set(pending.map((m) => m.digest));
    const deleted = new Set(
      out.eligible.filter((r) => r.decision.action === 'delete-manifest').map((r) => r.decision.digest),
    );
    const next = pending.filter((m) => waiting.has(relations.subjects.get(m.digest) ?? ''));
    // A cycle of referrers (never in practice): decide them all now.
    const stuck = next.length === pending.length;
    for (const m of stuck ? pending : pending.filter((p) => !next.includes(p))) {
      const subject = relations.subjects.get(m.digest) ?? '';
      const verdict = decide(rules, m, subject, listed, deleted, out);
      record(rules, m, subject, verdict, out);
    }
    pending = stuck ? [] : next;
  }
}

function decide(
  rules: ReferrerRules,
  m: Manifest,
  subject: string,
  listed: ReadonlySet<string>,
  deleted: ReadonlySet<string>,
  out: Outcome,
): Verdict {
  const kind = referrerKind(m.tags);
  const explicit = m.tags.map((t) => rules.explicitKeep(t)).find((r) => r !== undefined);
  if (explicit !== undefined) return { keep: explicit };
  if (m.tags.length === 0 && rules.untaggedKept) return { keep: 'untagged: Keep' };
  const fate = referrerFate(subject, m.repository, listed, deleted, rules.graph);
  const short = shortDigest(subject);
  if (fate.kind === 'subject-unknown')
    return { keep: `${kind} of ${short}, which the listing does not show` };
  if (fate.kind === 'with-subject') {
    if (!fate.deleted) return { keep: `${kind} of kept ${short}` };
    // Ordered with its subject, so maxDeletionsPerRun tends to take or spare both.
    const at = out.eligible.find((r) => r.decision.digest === subject)?.pushedAt ?? m.pushedAt;
    return { remove: `${kind} of deleted ${short}`, at };
  }
  const tooYoung = rules.ageKeeps(m.pushedAt);
  if (tooYoung !== undefined) return { keep: tooYoung };
  return { remove: `${kind} of ${short}, which is gone`, at: m.pushedAt };
}

function record(rules: ReferrerRules, m: Manifest, subject: string, verdict: Verdict, out: Outcome): void {
  const { repository, digest, pushedAt, tags } = m;
  if ('remove' in verdict) {
    const decision = { ...rules.deletion(m, [...tags].sort(compare), verdict.remove), of: subject };
    out.eligible.push({ decision, pushedAt: verdict.at });
    return;
  }
  const base = { action: 'keep', repository, digest, reason: verdict.keep, of: subject } as const;
  if (tags.length === 0) out.keeps.push({ decision: base, pushedAt });
  for (const tag of tags) out.keeps.push({ decision: { ...base, tag }, pushedAt });
}
