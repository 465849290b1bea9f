/**
 * The rules of a plan that follow references between manifests (see graph.ts for how they are
 * known): a manifest an index lists stays while the index stays; a referrer (signature, SBOM,
 * attestation) stays with its subject, goes with it, and never takes a `keepLast` place. They are
 * applied to one repository's decisions before `maxDeletionsPerRun` cuts them and once more after,
 * since the cut may keep an index or a subject whose children or referrers were chosen.
 */

import { graphKey, isFacts, type ManifestGraph, mayBeIndex, referrerKind, shortDigest } from './graph.ts';
import type { Decision } from './plan.ts';

/** A decision with the push time it is ordered by. */
export interface Ranked {
  decision: Decision;
  pushedAt: number;
}

/** One manifest of a repository as the planner sees it. */
export interface Manifest {
  repository: string;
  digest: string;
  tags: string[];
  /** Milliseconds; NaN when unknown, which keeps the manifest. */
  pushedAt: number;
  sizeBytes?: number;
  mediaType?: string | undefined;
}

/** Why a manifest must stay while another one stays. */
interface Parent {
  digest: string;
  reason: string;
  /** `index`: a platform manifest of it; `subject`: a referrer of it. */
  kind: 'index' | 'subject';
}

/** The references of one repository's manifests, as the plan applies them. */
export interface Relations {
  /** Per digest, the manifests whose staying keeps it (its indexes, its subject). */
  parents: Map<string, Parent[]>;
  /** Per referrer digest, its subject. */
  subjects: Map<string, string>;
  /**
   * Listed manifests that are or may be indexes but could not be read (an error, or a 404 for a
   * manifest the provider lists): while one stays, no manifest of the repository is deleted, since
   * any may be one of its platform manifests.
   */
  blockers: Parent[];
}

/** Turns a deletion into the keeps it becomes: one per tag, or one for an untagged manifest. */
export function asKeeps({ decision: d, pushedAt }: Ranked, reason: string, of?: string): Ranked[] {
  const base = { action: 'keep', repository: d.repository, digest: d.digest, reason } as const;
  const withOf = of === undefined ? base : { ...base, of };
  if (d.action === 'delete-tag') return [{ decision: { ...withOf, tag: d.tag }, pushedAt }];
  if (d.action === 'delete-manifest' && d.tags.length > 0) {
    return d.tags.map((tag) => ({ decision: { ...withOf, tag }, pushedAt }));
  }
  return [{ decision: withOf, pushedAt }];
}

/**
 * The references among `list` that the graph and the tags tell. With no graph (the run did not
 * read manifests) only cosign-style tags are known.
 */
export function relationsOf(
  list: readonly Manifest[],
  graph: ManifestGraph | undefined,
  subjectOfTags: (tags: readonly string[]) => string | undefined,
): Relations {
  const parents = new Map<string, Parent[]>();
  const subjects = new Map<string, string>();
  const add = (child: string, parent: Parent) => parents.set(child, [...(parents.get(child) ?? []), parent]);
  const blockers: Parent[] = [];
  for (const m of list) {
    const reading = graph?.get(graphKey(m.repository, m.digest));
    const subject = (isFacts(reading) ? reading.subject : undefined) ?? subjectOfTags(m.tags);
    if (subject !== undefined && subject !== m.digest) {
      subjects.set(m.digest, subject);
      const reason = `${referrerKind(m.tags)} of kept ${shortDigest(subject)}`;
      add(m.digest, { digest: subject, reason, kind: 'subject' });
    }
    if (isFacts(reading)) {
      for (const child of reading.children) {
        const reason = `platform manifest of kept index ${shortDigest(m.digest)}`;
        add(child, { digest: m.digest, reason, kind: 'index' });
      }
    } else if (graph !== undefined && mayBeIndex(m.mediaType) && reading !== undefined) {
      // Listed, yet unreadable or 404 (a wrong path, a refused read): its children are unknown.
      const reason = `index ${shortDigest(m.digest)} could not be read, so its platform manifests are unknown`;
      blockers.push({ digest: m.digest, reason, kind: 'index' });
    }
  }
  return { parents, subjects, blockers };
}

/**
 * Moves to `keeps` every manifest deletion a staying manifest needs (its index stays, its subject
 * stays), until nothing changes: sparing an index spares its children in turn. Tag deletions leave
 * their manifest in place and are not touched. `listed` are the repository's digests.
 */
export function spareReferenced(
  chosen: Ranked[],
  keeps: Ranked[],
  relations: Relations,
  listed: ReadonlySet<string>,
): Ranked[] {
  let deletions = chosen;
  for (let changed = true; changed; ) {
    changed = false;
    const deleted = new Set(
      deletions.filter((r) => r.decision.action === 'delete-manifest').map((r) => r.decision.digest),
    );
    const next: Ranked[] = [];
    for (const r of deletions) {
      const stay =
        r.decision.action === 'delete-manifest'
          ? relations.parents
              .get(r.decision.digest)
              ?.find((p) => listed.has(p.digest) && !deleted.has(p.digest))
          : undefined;
      const blocked =
        r.decision.action === 'delete-manifest'
          ? relations.blockers.find(
              (b) => b.digest !== r.decision.digest && listed.has(b.digest) && !deleted.has(b.digest),
            )
          : undefined;
      if (stay !== undefined) keeps.push(...asKeeps(r, stay.reason, stay.digest));
      else if (blocked !== undefined) keeps.push(...asKeeps(r, blocked.reason));
      else next.push(r);
      if (stay !== undefined || blocked !== undefined) changed = true;
    }
    deletions = next;
  }
  return deletions;
}

/** A referrer's decision once its subject's fate is known. */
export type ReferrerFate =
  | { kind: 'with-subject'; deleted: boolean; subject: string }
  | { kind: 'subject-gone'; subject: string }
  | { kind: 'subject-unknown'; subject: string };

/**
 * The fate of a referrer's subject: deleted or kept when the repository lists it, gone when the
 * registry answered 404 for it, unknown otherwise (then the referrer is kept).
 */
export function referrerFate(
  subject: string,
  repository: string,
  listed: ReadonlySet<string>,
  deleted: ReadonlySet<string>,
  graph: ManifestGraph | undefined,
): ReferrerFate {
  if (listed.has(subject)) return { kind: 'with-subject', deleted: deleted.has(subject), subject };
  if (graph?.get(graphKey(repository, subject)) === 'gone') return { kind: 'subject-gone', subject };
  return { kind: 'subject-unknown', subject };
}

/**
 * Names, on each deleted platform manifest of a deleted index, the index it belongs to (`of`), so
 * the report groups them and the run keeps it should the index stay after all (re-check, failure).
 */
export function markChildrenOfDeleted(eligible: readonly Ranked[], relations: Relations): void {
  const deleted = new Set(
    eligible.filter((r) => r.decision.action === 'delete-manifest').map((r) => r.decision.digest),
  );
  for (const r of eligible) {
    if (r.decision.action !== 'delete-manifest' || r.decision.of !== undefined) continue;
    const index = relations.parents
      .get(r.decision.digest)
      ?.find((p) => p.kind === 'index' && deleted.has(p.digest));
    if (index !== undefined) r.decision.of = index.digest;
  }
}
