/**
 * The retention plan of a CleanupPolicy run: a pure function from the registry's manifests, the
 * rules and the clock to what is deleted and what is kept, each with the rule that decided it.
 * Every choice below errs towards keeping, because a wrong deletion cannot be undone.
 *
 * - **Repositories** not matched by `repositories.include`, or matched by `exclude`, are not
 *   evaluated at all: they appear neither in deletions nor in keeps nor in `evaluated`.
 * - **Order.** Within a repository, tags are ranked by the push time of their manifest, newest
 *   first; equal push times are ordered by tag name (ascending, by code unit), then by digest, so
 *   the plan does not depend on the order the registry listed things in.
 * - **Tags.** Rules are checked in this order and the first that keeps a tag names the reason:
 *   not matched by `tags.include` (an empty include matches nothing); matched by `tags.exclude`;
 *   matched by `keepTags`; unknown push time; among the `keepLast` newest; not older than
 *   `olderThan`; not older than `minAge`. A tag is deletable only when none keeps it, i.e. every rule
 *   that is set agrees. `keepLast` counts only the tags the rules apply to (tags kept by
 *   `tags.include`/`tags.exclude`/`keepTags`, or for an unknown push time, do not use up its
 *   places: a tag of unknown age is not one of the newest), and counts tags, not
 *   manifests, like Quay's `number_of_tags`. Ages are compared strictly (`now - pushedAt > d`), so a
 *   tag exactly at a limit is kept. With neither `keepLast` nor `olderThan` (which the CRD rejects)
 *   no tag is deleted.
 * - **Multi-tag manifests.** A manifest whose tags are all deletable becomes one `delete-manifest`
 *   (it frees space). A manifest with at least one kept tag is never deleted: each kept tag gets a
 *   `keep`, each deletable tag a `delete-tag`, and the manifest stays reachable through the kept
 *   tags. Where the provider cannot delete a tag without its manifest (`singleTagRefusal` set,
 *   e.g. Selectel, whose cleanup may remove the whole image), such a tag is kept instead, with the
 *   reason "digest also carries kept tag X; <refusal>", before maxDeletions is applied, so dry runs
 *   and real runs agree and no deletion place is spent on it.
 * - **Untagged manifests** (no tags) are deleted when `untagged` is `Delete` and they are older than
 *   `minAge` and, if set, `olderThan`; tag rules (`keepLast`, `keepTags`, `tags`) do not apply.
 * - **maxDeletions.** Every `delete-manifest` and every `delete-tag` counts as one. When more are
 *   eligible, the oldest (by push time, then repository, tag, digest) are deleted, the rest become
 *   keeps with reason "maxDeletionsPerRun reached" (one per tag), and `stoppedAtLimit` is true.
 * - **Output order.** `deletions`: repository, then oldest first, then tag, then digest; `keeps`:
 *   repository, then newest first, then tag, then digest. `evaluated` counts the tags and untagged
 *   manifests of the covered repositories; `bytesFreed` sums the known sizes of deleted manifests.
 */
import type { z } from 'zod';
import type { Artifact } from '../../clients/provider.ts';
import type { RetentionRulesSchema } from '../../crds/cleanup-rules.ts';
import { durationMs } from '../../crds/duration.ts';
import { firstMatch, matchesAny } from './glob.ts';
import { graphKey, isFacts, type ManifestGraph, schemaTagSubject } from './graph.ts';
import { decideReferrers } from './referrers.ts';
import {
  asKeeps,
  type Manifest,
  markChildrenOfDeleted,
  type Ranked,
  type Relations,
  relationsOf,
  spareReferenced,
} from './relations.ts';

/** The retention rules of a CleanupPolicy, defaults applied. */
export type RetentionRules = z.output<typeof RetentionRulesSchema>;

/** Everything {@link plan} decides on. */
export interface PlanInput {
  /** Every manifest of the covered repositories, with its tags (none = untagged), push time and size. */
  artifacts: Artifact[];
  /** spec.repositories. */
  repositories: { include: string[]; exclude?: string[] | undefined };
  /** spec.rules, defaults applied (untagged 'Keep', minAge '1h'). */
  rules: RetentionRules;
  /** The clock, in milliseconds since the epoch. */
  now: number;
  /** spec.maxDeletionsPerRun. */
  maxDeletions: number;
  /**
   * Why the provider cannot delete a tag without its manifest, when it cannot; tags that would go
   * alone are then kept. Unset: the provider deletes single tags (`Images.deleteTags`).
   */
  singleTagRefusal?: string | undefined;
  /**
   * The manifests the run read (graph.ts): index children and referrer subjects. Given, a manifest
   * deletion the graph does not cover is kept for a later run; undefined, only cosign-style tags
   * tell referrers (a first plan, to find what to read).
   */
  graph?: ManifestGraph | undefined;
}

/** One decision of a plan, with the rule that made it. */
export type Decision =
  | { action: 'delete-tag'; repository: string; tag: string; digest: string; reason: string; of?: string }
  | {
      action: 'delete-manifest';
      repository: string;
      digest: string;
      tags: string[];
      reason: string;
      sizeBytes?: number;
      /** The image this one belongs to: the subject of a referrer, the index of a platform manifest. */
      of?: string;
    }
  | { action: 'keep'; repository: string; tag?: string; digest: string; reason: string; of?: string };

/** The outcome of {@link plan}. */
export interface Plan {
  /** delete-tag and delete-manifest decisions: repository, then oldest first. */
  deletions: Decision[];
  /** keep decisions: repository, then newest first. */
  keeps: Decision[];
  /** Tags and untagged manifests evaluated. */
  evaluated: number;
  /** True when more deletions were eligible than maxDeletions allowed. */
  stoppedAtLimit: boolean;
  /** Sum of the known sizes of the deleted manifests. */
  bytesFreed: number;
}

/** The reason given to deletions cut by maxDeletionsPerRun. */
export const LIMIT_REASON = 'maxDeletionsPerRun reached';

/** The reason a deletion the run's reads did not cover is kept (the next round or run reads it). */
export const UNCHECKED_REASON = 'not yet checked for references; a later run decides';

/** The reason a tag or manifest whose push time the provider does not report is kept. */
export const UNKNOWN_TIME_REASON = 'unknown push time';

/** What planning the repositories collects: keeps, and deletions before the limit is applied. */
export interface Outcome {
  keeps: Ranked[];
  eligible: Ranked[];
}

interface Verdict {
  delete: boolean;
  reason: string;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Unknown push times sort as newest (in the output; they take no keepLast place, see decideTag). */
const sortTime = (t: number): number => (Number.isNaN(t) ? Number.POSITIVE_INFINITY : t);

const nameOf = (d: Decision): string => (d.action === 'delete-manifest' ? (d.tags[0] ?? '') : (d.tag ?? ''));

const byName = (a: Ranked, b: Ranked): number =>
  compare(nameOf(a.decision), nameOf(b.decision)) || compare(a.decision.digest, b.decision.digest);

/** Repository, then oldest first (newest first when `newest`), then name and digest: a total order. */
function order(newest: boolean) {
  return (a: Ranked, b: Ranked): number => {
    const byTime = (sortTime(a.pushedAt) - sortTime(b.pushedAt)) * (newest ? -1 : 1);
    return (
      compare(a.decision.repository, b.decision.repository) ||
      (Number.isNaN(byTime) ? 0 : byTime) ||
      byName(a, b)
    );
  };
}

/** Groups artifacts by repository and digest; a digest listed twice is merged (union of tags, newest push). */
function group(artifacts: readonly Artifact[]): Map<string, Map<string, Manifest>> {
  const repos = new Map<string, Map<string, Manifest>>();
  for (const a of artifacts) {
    const manifests = repos.get(a.repository) ?? new Map<string, Manifest>();
    repos.set(a.repository, manifests);
    const pushedAt = a.pushedAt.getTime();
    const seen = manifests.get(a.digest);
    if (seen === undefined) {
      const { repository, digest, sizeBytes, mediaType } = a;
      const m: Manifest = { repository, digest, tags: [...new Set(a.tags)], pushedAt, mediaType };
      manifests.set(digest, sizeBytes === undefined ? m : { ...m, sizeBytes });
      continue;
    }
    seen.tags = [...new Set([...seen.tags, ...a.tags])];
    // NaN wins in Math.max, so an unknown time on either copy keeps the manifest.
    seen.pushedAt = Math.max(seen.pushedAt, pushedAt);
    if (a.sizeBytes !== undefined) seen.sizeBytes = Math.max(seen.sizeBytes ?? 0, a.sizeBytes);
  }
  return repos;
}

/** The rules with durations parsed once. */
interface Compiled {
  rules: RetentionRules;
  olderThanMs: number | undefined;
  minAgeMs: number;
  now: number;
  singleTagRefusal: string | undefined;
  graph: ManifestGraph | undefined;
}

/** The age checks shared by tags and untagged manifests; undefined when old enough to delete. */
function ageKeeps(c: Compiled, pushedAt: number): string | undefined {
  if (Number.isNaN(pushedAt)) return UNKNOWN_TIME_REASON;
  const age = c.now - pushedAt;
  if (c.olderThanMs !== undefined && !(age > c.olderThanMs)) {
    return `younger than olderThan ${c.rules.olderThan}`;
  }
  if (!(age > c.minAgeMs)) return `younger than minAge ${c.rules.minAge}`;
  return undefined;
}

/** The rules that keep a tag whatever its age or rank: tags.include, tags.exclude, keepTags. */
function explicitKeep(rules: RetentionRules, tag: string): string | undefined {
  const include = rules.tags?.include;
  if (include !== undefined && !matchesAny(include, tag)) return 'not in tags.include';
  return namedKeep(rules, tag);
}

/** The rules that keep a tag by naming it: tags.exclude, keepTags. */
function namedKeep(rules: RetentionRules, tag: string): string | undefined {
  const excluded = firstMatch(rules.tags?.exclude, tag);
  if (excluded !== undefined) return `tags.exclude ${excluded}`;
  const protectedBy = firstMatch(rules.keepTags, tag);
  if (protectedBy !== undefined) return `keepTags ${protectedBy}`;
  return undefined;
}

/** Decides one tag; `nextRank` gives its place among the tags the rules apply to (0 = newest). */
function decideTag(c: Compiled, tag: string, pushedAt: number, nextRank: () => number): Verdict {
  const { rules } = c;
  const explicit = explicitKeep(rules, tag);
  if (explicit !== undefined) return { delete: false, reason: explicit };
  // Checked before keepLast takes a place: a tag whose age nobody knows cannot be called one of
  // the newest, and counting it would push out a tag that really is.
  if (Number.isNaN(pushedAt)) return { delete: false, reason: UNKNOWN_TIME_REASON };
  const rank = nextRank();
  if (rules.keepLast !== undefined && rank < rules.keepLast) {
    return { delete: false, reason: `keepLast ${rules.keepLast}` };
  }
  const tooYoung = ageKeeps(c, pushedAt);
  if (tooYoung !== undefined) return { delete: false, reason: tooYoung };
  const because: string[] = [];
  if (rules.keepLast !== undefined) because.push(`beyond keepLast ${rules.keepLast}`);
  if (rules.olderThan !== undefined) because.push(`older than ${rules.olderThan}`);
  if (because.length === 0) return { delete: false, reason: 'neither keepLast nor olderThan set' };
  return { delete: true, reason: because.join(', ') };
}

/** Decides every tag and untagged manifest of one repository; returns its relations for the limit pass. */
function planRepository(c: Compiled, repository: string, list: Manifest[], out: Outcome): Relations {
  const relations = relationsOf(list, c.graph, (tags) => firstSubject(tags));
  const images = list.filter((m) => !relations.subjects.has(m.digest));
  const local: Outcome = { keeps: [], eligible: [] };
  planImages(c, repository, images, local);
  decideReferrers(
    {
      // tags.include selects images to clean up; a signature is not one, so only rules that name it keep it.
      explicitKeep: (tag) => namedKeep(c.rules, tag),
      ageKeeps: (pushedAt) => ageKeeps(c, pushedAt),
      untaggedKept: c.rules.untagged === 'Keep',
      graph: c.graph,
      deletion: (m, tags, reason) => manifestDeletion(m, tags, reason),
    },
    list,
    relations,
    local,
  );
  const listed = new Set(list.map((m) => m.digest));
  local.eligible = spareReferenced(local.eligible, local.keeps, relations, listed);
  markChildrenOfDeleted(local.eligible, relations);
  out.keeps.push(...local.keeps);
  out.eligible.push(...local.eligible);
  return relations;
}

/** The subject a manifest's cosign-style tags name (the first that does). */
function firstSubject(tags: readonly string[]): string | undefined {
  for (const tag of tags) {
    const subject = schemaTagSubject(tag);
    if (subject !== undefined) return subject;
  }
  return undefined;
}

/**
 * With a graph, an untagged manifest deletion it does not cover was not checked for references (found only
 * after the reads, e.g. freed by a spared deletion): kept, a later run decides. Unreadable ones too.
 */
function uncheckedKept(c: Compiled, eligible: Ranked[], keeps: Ranked[]): Ranked[] {
  const graph = c.graph;
  if (graph === undefined) return eligible;
  return eligible.filter((r) => {
    // Tagged deletions are not read (checked-plan.ts): their tags say what they are.
    if (r.decision.action !== 'delete-manifest' || r.decision.tags.length > 0) return true;
    const reading = graph.get(graphKey(r.decision.repository, r.decision.digest));
    if (reading !== undefined && (reading === 'gone' || isFacts(reading))) return true;
    const why =
      reading === undefined
        ? UNCHECKED_REASON
        : `manifest could not be read to check what refers to it (${reading.unreadable})`;
    keeps.push(...asKeeps(r, why));
    return false;
  });
}

/** Decides the tags and untagged manifests of the images (not referrers) of one repository. */
function planImages(c: Compiled, repository: string, list: Manifest[], out: Outcome): void {
  const entries = list
    .flatMap((m) => m.tags.map((tag) => ({ tag, m })))
    .sort(
      (a, b) =>
        sortTime(b.m.pushedAt) - sortTime(a.m.pushedAt) ||
        compare(a.tag, b.tag) ||
        compare(a.m.digest, b.m.digest),
    );
  let ranked = 0;
  const nextRank = () => ranked++;
  const verdicts = new Map<Manifest, { tag: string; verdict: Verdict }[]>();
  for (const { tag, m } of entries) {
    const forManifest = verdicts.get(m) ?? [];
    verdicts.set(m, forManifest);
    forManifest.push({ tag, verdict: decideTag(c, tag, m.pushedAt, nextRank) });
  }
  for (const m of list) {
    const { digest, pushedAt } = m;
    const tagged = verdicts.get(m);
    if (tagged === undefined) {
      const tooYoung = c.rules.untagged === 'Keep' ? 'untagged: Keep' : ageKeeps(c, pushedAt);
      if (tooYoung !== undefined) {
        out.keeps.push({ decision: { action: 'keep', repository, digest, reason: tooYoung }, pushedAt });
      } else {
        const reason =
          c.rules.olderThan === undefined ? 'untagged' : `untagged, older than ${c.rules.olderThan}`;
        out.eligible.push({ decision: manifestDeletion(m, [], reason), pushedAt });
      }
      continue;
    }
    const first = tagged[0];
    if (first !== undefined && tagged.every((t) => t.verdict.delete)) {
      const tags = tagged.map((t) => t.tag).sort(compare);
      out.eligible.push({ decision: manifestDeletion(m, tags, first.verdict.reason), pushedAt });
      continue;
    }
    // At least one tag is kept, so the manifest stays; only the deletable tags go, where the
    // provider can delete a tag alone.
    const refused = c.singleTagRefusal === undefined ? undefined : alsoKept(tagged, c.singleTagRefusal);
    for (const { tag, verdict } of tagged) {
      const remove = verdict.delete && refused === undefined;
      const reason = verdict.delete ? (refused ?? verdict.reason) : verdict.reason;
      const decision: Decision = remove
        ? { action: 'delete-tag', repository, tag, digest, reason }
        : { action: 'keep', repository, tag, digest, reason };
      (remove ? out.eligible : out.keeps).push({ decision, pushedAt });
    }
  }
}

/** The keep reason of a tag that cannot go alone: the manifest's kept tags, first by name, then why. */
function alsoKept(tagged: { tag: string; verdict: Verdict }[], refusal: string): string {
  const kept = tagged.filter((t) => !t.verdict.delete).map((t) => t.tag);
  const first = [...kept].sort(compare)[0] ?? '';
  const more = kept.length > 1 ? ` and ${kept.length - 1} more` : '';
  return `digest also carries kept tag ${first}${more}; ${refusal}`;
}

function manifestDeletion(m: Manifest, tags: string[], reason: string): Decision {
  const d: Decision = { action: 'delete-manifest', repository: m.repository, digest: m.digest, tags, reason };
  if (m.sizeBytes !== undefined) d.sizeBytes = m.sizeBytes;
  return d;
}

/** The keeps a deletion cut by maxDeletionsPerRun turns into: one per tag, or one for the manifest. */
function cut(r: Ranked): Ranked[] {
  const of = r.decision.of;
  return asKeeps(r, LIMIT_REASON, of);
}

/** Plans one run: what to delete and what to keep, and why (see the module comment for the rules). */
export function plan(input: PlanInput): Plan {
  const { rules, now } = input;
  const c: Compiled = {
    rules,
    now,
    olderThanMs: rules.olderThan === undefined ? undefined : durationMs(rules.olderThan),
    minAgeMs: durationMs(rules.minAge),
    singleTagRefusal: input.singleTagRefusal,
    graph: input.graph,
  };
  const limit = Number.isFinite(input.maxDeletions) ? Math.max(0, Math.floor(input.maxDeletions)) : 0;
  const out: Outcome = { keeps: [], eligible: [] };
  let evaluated = 0;
  const repos = group(input.artifacts);
  const related = new Map<string, { relations: Relations; listed: Set<string> }>();
  for (const repository of [...repos.keys()].sort(compare)) {
    const { include, exclude } = input.repositories;
    if (!matchesAny(include, repository) || matchesAny(exclude, repository)) continue;
    const list = [...(repos.get(repository)?.values() ?? [])];
    const relations = planRepository(c, repository, list, out);
    related.set(repository, { relations, listed: new Set(list.map((m) => m.digest)) });
    evaluated += list.reduce((n, m) => n + Math.max(1, m.tags.length), 0);
  }
  // Oldest first across all repositories, so the limit spares the newest images.
  const byAge = [...out.eligible].sort(
    (a, b) =>
      a.pushedAt - b.pushedAt || compare(a.decision.repository, b.decision.repository) || byName(a, b),
  );
  const keeps = [...out.keeps, ...byAge.slice(limit).flatMap(cut)];
  // The cut may keep an index or a subject whose children or referrers it chose: they stay too.
  const spared = [...related].flatMap(([repository, { relations, listed }]) =>
    spareReferenced(
      byAge.slice(0, limit).filter((r) => r.decision.repository === repository),
      keeps,
      relations,
      listed,
    ),
  );
  const chosen = uncheckedKept(c, spared, keeps);
  let bytesFreed = 0;
  for (const { decision: d } of chosen) {
    if (d.action === 'delete-manifest' && (d.sizeBytes ?? 0) > 0) bytesFreed += d.sizeBytes ?? 0;
  }
  return {
    deletions: chosen.sort(order(false)).map((r) => r.decision),
    keeps: keeps.sort(order(true)).map((r) => r.decision),
    evaluated,
    stoppedAtLimit: byAge.length > limit,
    bytesFreed,
  };
}
