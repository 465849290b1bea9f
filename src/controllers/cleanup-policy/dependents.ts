/**
 * Deletions that belong to another one (`of`: a referrer of its subject, a platform manifest of its
 * index) must not go when the one they belong to stays after all: the re-check before the delete
 * keeps a manifest that gained a tag since the listing, and a delete can fail. Then its signature
 * or its platform manifests are kept too, or a kept image would lose its signature or a platform.
 */
import type { RunItem } from '../../crds/cleanup-rules.ts';
import { shortDigest } from './graph.ts';
import type { Decision } from './plan.ts';
import { runItem } from './run-items.ts';

const key = (repository: string, digest: string) => `${repository}@${digest}`;

/** How many deletions of `decisions` stand above each one (0: it belongs to none of them). */
function depths(decisions: readonly Decision[]): number[] {
  const byKey = new Map(decisions.map((d) => [key(d.repository, d.digest), d]));
  return decisions.map((d) => {
    let n = 0;
    for (let at = d; at.of !== undefined && n < 16; n++) {
      const parent = byKey.get(key(at.repository, at.of));
      if (parent === undefined || parent === at) break;
      at = parent;
    }
    return n;
  });
}

/** The deletions ordered so that each comes after the deletion it belongs to (stable otherwise). */
export function parentsFirst(decisions: readonly Decision[]): Decision[] {
  return byDepth(decisions).flat();
}

/** The deletions in batches by depth: those that belong to no other deletion first, then theirs. */
export function byDepth(decisions: readonly Decision[]): Decision[][] {
  const depth = depths(decisions);
  const out: Decision[][] = [];
  decisions.forEach((d, i) => {
    const n = depth[i] ?? 0;
    while (out.length <= n) out.push([]);
    out[n]?.push(d);
  });
  return out.filter((level) => level.length > 0);
}

/**
 * Splits deletions into those still to carry out and the items of those kept because what they
 * belong to stays (`staying`: digests of this run kept or failed, by repository), transitively.
 */
export function keepDependents(
  decisions: readonly Decision[],
  staying: ReadonlySet<string>,
): { proceed: Decision[]; settled: RunItem[] } {
  const stays = new Set(staying);
  const settled: RunItem[] = [];
  let proceed = [...decisions];
  for (let changed = true; changed; ) {
    changed = false;
    const next: Decision[] = [];
    for (const d of proceed) {
      if (d.of !== undefined && stays.has(key(d.repository, d.of))) {
        settled.push(runItem(d, 'Kept', `${shortDigest(d.of)}, which it belongs to, stays after all`));
        stays.add(key(d.repository, d.digest));
        changed = true;
      } else next.push(d);
    }
    proceed = next;
  }
  return { proceed, settled };
}

/** The digests, by repository, that a run's items leave in place: kept or failed deletions. */
export function stayingOf(items: readonly RunItem[]): Set<string> {
  return new Set(
    items
      .filter((i) => (i.action === 'Kept' || i.action === 'Failed') && i.digest !== undefined)
      .map((i) => key(i.repository, i.digest ?? '')),
  );
}
