import { describe, expect, it } from 'vitest';
import type { Artifact } from '../../clients/provider.ts';
import { durationMs } from '../../crds/duration.ts';
import { matchesAny } from './glob.ts';
import { NOW } from './plan.fixtures.ts';
import { LIMIT_REASON, type PlanInput, plan, type RetentionRules } from './plan.ts';

/** mulberry32: a small seeded generator, so a failing seed can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const REPOS = ['a', 'a/b', 'a/b/c', 'c', 'c/d'];
const TAGS = ['latest', 'v1', 'v1.1', 'v2', 'pr-1', 'pr-2', 'main', 'dev', 'rc-1', 'stable'];
const HOUR = 3_600_000;
// Few distinct ages, so equal push times are common; some are below or exactly at minAge.
const AGES = [0, 0.5, 1, 2, 24, 48, 49, 72, 240, 720].map((h) => h * HOUR);

function generate(seed: number): PlanInput {
  const r = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const some = <T>(list: readonly T[], p: number): T[] => list.filter(() => r() < p);
  const artifacts: Artifact[] = [];
  for (const repository of some(REPOS, 0.7)) {
    const free = some(TAGS, 0.6); // a tag names at most one manifest of a repository
    for (let i = 0, count = Math.floor(r() * 7); i < count; i += 1) {
      const tags = free.splice(0, Math.floor(r() * 3)); // often 0: untagged
      const a: Artifact = { repository, digest: `sha256:${i}`, tags, pushedAt: new Date(NOW - pick(AGES)) };
      if (r() < 0.7) a.sizeBytes = Math.floor(r() * 1000);
      artifacts.push(a);
    }
  }
  const rules: RetentionRules = {
    untagged: pick(['Keep', 'Delete'] as const),
    minAge: pick(['1h', '30m', '48h']),
  };
  const mode = pick(['keepLast', 'olderThan', 'both'] as const);
  if (mode !== 'olderThan') rules.keepLast = Math.floor(r() * 4);
  if (mode !== 'keepLast') rules.olderThan = pick(['1h', '24h', '72h']);
  if (r() < 0.5) rules.keepTags = some(['latest', 'v*', 'stable', 'rc-?'], 0.5);
  if (r() < 0.4)
    rules.tags =
      r() < 0.5 ? { include: some(['v*', 'pr-*', '*'], 0.6) } : { exclude: some(['main', 'dev*'], 0.6) };
  const repositories =
    r() < 0.5 ? { include: ['**'] } : { include: [pick(['a/**', 'a', '*', 'c*'])], exclude: ['a/b/*'] };
  return { artifacts, repositories, rules, now: NOW, maxDeletions: Math.floor(r() * 12) };
}

/** The input listed in a different order (artifacts and tags), as another registry page order would. */
function shuffled(input: PlanInput, seed: number): PlanInput {
  const r = random(seed);
  const mix = <T>(list: T[]): T[] =>
    list
      .map((v) => ({ v, k: r() }))
      .sort((x, y) => x.k - y.k)
      .map((x) => x.v);
  return { ...input, artifacts: mix(input.artifacts.map((a) => ({ ...a, tags: mix([...a.tags]) }))) };
}

describe('plan: invariants over 500 random inputs', () => {
  it.each(Array.from({ length: 500 }, (_, seed) => seed))('seed %i', (seed) => {
    const input = generate(seed);
    const { rules, repositories } = input;
    const result = plan(input);
    const byKey = new Map(input.artifacts.map((a) => [`${a.repository}@${a.digest}`, a]));
    const age = (repository: string, digest: string) =>
      NOW - (byKey.get(`${repository}@${digest}`)?.pushedAt.getTime() ?? NOW);
    const deletedTags = result.deletions.flatMap((d) =>
      d.action === 'delete-tag' ? [d.tag] : d.action === 'delete-manifest' ? d.tags : [],
    );

    // Never more than maxDeletions, and stoppedAtLimit exactly when something was cut.
    expect(result.deletions.length).toBeLessThanOrEqual(input.maxDeletions);
    const cut = result.keeps.filter((k) => k.reason === LIMIT_REASON);
    expect(result.stoppedAtLimit).toBe(cut.length > 0);
    for (const d of result.deletions) {
      expect(d.action).not.toBe('keep');
      // No deleted manifest carries a kept tag; a tag deletion leaves its manifest with a kept tag.
      const keptHere = result.keeps.filter((k) => k.repository === d.repository && k.digest === d.digest);
      if (d.action === 'delete-manifest') {
        expect(keptHere).toEqual([]);
        expect([...d.tags].sort()).toEqual(
          [...(byKey.get(`${d.repository}@${d.digest}`)?.tags ?? [])].sort(),
        );
      } else {
        expect(
          keptHere.some((k) => k.action === 'keep' && k.tag !== undefined && k.reason !== LIMIT_REASON),
        ).toBe(true);
      }
      // Nothing younger than minAge (or olderThan) is deleted.
      expect(age(d.repository, d.digest)).toBeGreaterThan(durationMs(rules.minAge));
      if (rules.olderThan !== undefined)
        expect(age(d.repository, d.digest)).toBeGreaterThan(durationMs(rules.olderThan));
      // Only covered repositories are touched.
      expect(
        matchesAny(repositories.include, d.repository) && !matchesAny(repositories.exclude, d.repository),
      ).toBe(true);
    }
    // keepTags and tags.exclude are never deleted; tags outside tags.include neither.
    for (const tag of deletedTags) {
      expect(matchesAny(rules.keepTags, tag)).toBe(false);
      expect(matchesAny(rules.tags?.exclude, tag)).toBe(false);
      if (rules.tags?.include !== undefined) expect(matchesAny(rules.tags.include, tag)).toBe(true);
    }
    // Oldest first: nothing cut by the limit was pushed before something deleted.
    const pushed = (d: { repository: string; digest: string }) => NOW - age(d.repository, d.digest);
    const newestDeleted = Math.max(...result.deletions.map(pushed));
    for (const k of cut) expect(pushed(k)).toBeGreaterThanOrEqual(newestDeleted);
    // Every tag and untagged manifest is decided exactly once.
    const decided =
      result.keeps.length +
      result.deletions.reduce(
        (n, d) => n + (d.action === 'delete-manifest' ? Math.max(1, d.tags.length) : 1),
        0,
      );
    expect(decided).toBe(result.evaluated);
    // bytesFreed is the sum of the deleted manifests' known sizes.
    const bytes = result.deletions.reduce(
      (n, d) => n + (d.action === 'delete-manifest' ? (d.sizeBytes ?? 0) : 0),
      0,
    );
    expect(result.bytesFreed).toBe(bytes);
    // Deterministic, whatever order the registry listed things in.
    expect(plan(input)).toEqual(result);
    expect(plan(shuffled(input, seed + 1))).toEqual(result);
  });

  it('keeps the keepLast newest in-scope tags of every repository', () => {
    for (let seed = 0; seed < 500; seed += 1) {
      const input = generate(seed);
      const { keepLast, keepTags, tags } = input.rules;
      if (keepLast === undefined) continue;
      const deleted = new Set(
        plan({ ...input, maxDeletions: 10_000 }).deletions.flatMap((d) =>
          d.action === 'delete-tag'
            ? [`${d.repository}:${d.tag}`]
            : d.action === 'delete-manifest'
              ? d.tags.map((t) => `${d.repository}:${t}`)
              : [],
        ),
      );
      const inScope = input.artifacts
        .flatMap((a) =>
          a.tags.map((tag) => ({
            key: `${a.repository}:${tag}`,
            repository: a.repository,
            tag,
            at: a.pushedAt.getTime(),
          })),
        )
        .filter((t) => !matchesAny(keepTags, t.tag) && !matchesAny(tags?.exclude, t.tag))
        .filter((t) => tags?.include === undefined || matchesAny(tags.include, t.tag));
      for (const repository of new Set(inScope.map((t) => t.repository))) {
        const newest = inScope
          .filter((t) => t.repository === repository)
          .sort((x, y) => y.at - x.at || (x.tag < y.tag ? -1 : 1))
          .slice(0, keepLast);
        for (const t of newest) expect(deleted.has(t.key), `seed ${seed} ${t.key}`).toBe(false);
      }
    }
  });

  it('an unknown-time artifact never reduces how many known-time tags keepLast keeps', () => {
    const byKeepLast = (result: ReturnType<typeof plan>) =>
      result.keeps.filter(
        (k) => k.reason.startsWith('keepLast') && (k.action !== 'keep' || k.tag !== 'zz-unknown'),
      ).length;
    for (let seed = 0; seed < 500; seed += 1) {
      const input = { ...generate(seed), maxDeletions: 10_000 };
      if (input.rules.keepLast === undefined) continue;
      // A tag of unknown age in every repository, listed first as a provider might.
      const unknown: Artifact[] = [...new Set(input.artifacts.map((a) => a.repository))].map(
        (repository) => ({
          repository,
          digest: 'sha256:unknown',
          tags: ['zz-unknown'],
          pushedAt: new Date(Number.NaN),
        }),
      );
      const before = plan(input);
      const after = plan({ ...input, artifacts: [...unknown, ...input.artifacts] });
      expect(byKeepLast(after), `seed ${seed}`).toBe(byKeepLast(before));
      expect(after.deletions, `seed ${seed}`).toEqual(before.deletions);
    }
  });
});
