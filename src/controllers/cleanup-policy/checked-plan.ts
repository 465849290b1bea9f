import type { Artifact } from '../../clients/provider.ts';
import {
  graphKey,
  isFacts,
  type ManifestFacts,
  type ManifestGraph,
  type ManifestReading,
  mayBeIndex,
  type ReadRequest,
  readGraph,
} from './graph.ts';
import { LIMIT_REASON, type Plan, type PlanInput, plan, UNCHECKED_REASON } from './plan.ts';
import type { RunAccess } from './run-access.ts';

/** Reads before the plan is trusted: at most this many rounds of plan, read what it needs, plan again. */
const ROUNDS = 3;

/**
 * Facts of manifests already read, by `repository@digest`. A digest names its content, so what an
 * index lists or what a referrer refers to never changes: later runs need not read it again.
 * Bounded; the oldest entries go first.
 */
export class ManifestFactsCache {
  private readonly entries = new Map<string, ManifestFacts>();
  private readonly capacity: number;

  constructor(capacity = 20_000) {
    this.capacity = capacity;
  }

  /** The facts read before, if any. */
  get(key: string): ManifestFacts | undefined {
    return this.entries.get(key);
  }

  /** Remembers facts (never `gone` or `unreadable`, which may change). */
  set(key: string, facts: ManifestFacts): void {
    this.entries.delete(key);
    this.entries.set(key, facts);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

/**
 * The manifests a plan must know about before its deletions can be trusted, in the repositories
 * where it deletes manifests: each untagged manifest it deletes (is it a referrer of a kept one?), each
 * manifest it keeps that is or may be an index (which platform manifests does it list?), and each
 * subject it keeps a referrer for without seeing it listed (is it gone?).
 */
export function manifestsToRead(p: Plan, artifacts: readonly Artifact[]): ReadRequest[] {
  const repos = new Set<string>();
  const wanted = new Map<string, ReadRequest>();
  const want = (repository: string, digest: string) =>
    wanted.set(graphKey(repository, digest), { repository, digest });
  const deleted = new Set<string>();
  for (const d of p.deletions) {
    if (d.action !== 'delete-manifest') continue;
    repos.add(d.repository);
    deleted.add(graphKey(d.repository, d.digest));
    // Referrers are pushed by digest (OCI 1.1) or under cosign tags, which name their subject:
    // only an untagged deletion can be one that nothing but its manifest tells.
    if (d.tags.length === 0) want(d.repository, d.digest);
  }
  // Cut deletions may come back once spared ones free places; unchecked ones are read next round.
  for (const k of p.keeps) {
    if (k.reason === LIMIT_REASON) repos.add(k.repository);
    if (k.reason === UNCHECKED_REASON) {
      repos.add(k.repository);
      want(k.repository, k.digest);
    }
  }
  const listed = new Set(artifacts.map((a) => graphKey(a.repository, a.digest)));
  for (const k of p.keeps) {
    if (k.of !== undefined && !listed.has(graphKey(k.repository, k.of))) want(k.repository, k.of);
  }
  for (const a of artifacts) {
    const key = graphKey(a.repository, a.digest);
    if (repos.has(a.repository) && !deleted.has(key) && mayBeIndex(a.mediaType)) want(a.repository, a.digest);
  }
  return [...wanted.values()];
}

/** A plan checked against the manifests it affects, and the run access opened to read them (if any). */
export interface CheckedPlan {
  plan: Plan;
  /** Open when reads were needed; the caller deletes with it (IONOS) and closes it. */
  access?: RunAccess | undefined;
  /** Manifests read from the registry this run (cache hits not counted). */
  reads: number;
}

/**
 * Plans, then reads through the registry what the plan's deletions depend on (manifestsToRead)
 * and plans again with what it learned, a few rounds at most; deletions still unread after that
 * are kept (plan.ts). Without deletions of manifests nothing is read and no access is opened.
 */
export async function planChecked(
  input: PlanInput,
  open: (repositories: string[]) => Promise<RunAccess>,
  cache: ManifestFactsCache,
): Promise<CheckedPlan> {
  let current = plan(input);
  let wanted = manifestsToRead(current, input.artifacts);
  if (wanted.length === 0) return { plan: current, reads: 0 };
  // Later rounds only spare deletions, so they stay within these repositories.
  const repositories = [
    ...new Set([
      ...wanted.map((w) => w.repository),
      ...current.deletions.map((d) => d.repository),
      ...current.keeps.filter((k) => k.reason === LIMIT_REASON).map((k) => k.repository),
    ]),
  ].sort();
  const graph = new Map<string, ManifestReading>();
  let access: RunAccess | undefined;
  let reads = 0;
  try {
    for (let round = 0; round < ROUNDS && wanted.length > 0; round++) {
      const missing: ReadRequest[] = [];
      for (const w of wanted) {
        const key = graphKey(w.repository, w.digest);
        const cached = cache.get(key);
        if (cached !== undefined) graph.set(key, cached);
        else if (!graph.has(key)) missing.push(w);
      }
      if (missing.length > 0) {
        access ??= await open(repositories);
        const registry = access.registry;
        await readGraph((repository, digest) => registry.facts(repository, digest), missing, graph);
        reads += missing.length;
        for (const w of missing) {
          const reading = graph.get(graphKey(w.repository, w.digest));
          if (isFacts(reading)) cache.set(graphKey(w.repository, w.digest), reading);
        }
      }
      current = plan({ ...input, graph: graph as ManifestGraph });
      wanted = manifestsToRead(current, input.artifacts).filter(
        (w) => !graph.has(graphKey(w.repository, w.digest)),
      );
    }
  } catch (err) {
    await access?.close().catch(() => undefined);
    throw err;
  }
  return { plan: current, access, reads };
}
