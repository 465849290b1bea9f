import type { RunItem, RunSummary } from '../crds/cleanup-rules.ts';
import type { Painter } from './format/color.ts';
import { cell, renderTable } from './format/table.ts';
import { elapsed, timeOf } from './format/time.ts';

// The status shapes come from the CRD's zod schema (types only: the CLI loads no schema code).
export type { RunItem, RunSummary } from '../crds/cleanup-rules.ts';

/** `sha256:0123456789ab`: enough of a digest to tell manifests apart in a table. */
export function shortDigest(digest: string | undefined): string {
  if (!digest) return '';
  const [algo, hex] = digest.split(':', 2);
  return hex ? `${algo}:${hex.slice(0, 12)}` : digest;
}

/** Bytes in binary units (`1.5 MiB`). */
export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** The one-line summary of a run: what it did (or would do), of how much, how long it took. */
export function runHeadline(run: RunSummary): string {
  const verb = run.dryRun ? 'dry run: would delete' : 'deleted';
  const took =
    timeOf(run.startedAt) !== undefined && timeOf(run.finishedAt) !== undefined
      ? `, took ${elapsed((timeOf(run.finishedAt) ?? 0) - (timeOf(run.startedAt) ?? 0))}`
      : '';
  const repos =
    run.repositories !== undefined
      ? ` in ${run.repositories} repositor${run.repositories === 1 ? 'y' : 'ies'}`
      : '';
  const freed =
    !run.dryRun && run.bytesFreed ? `, frees ${humanBytes(run.bytesFreed)} after garbage collection` : '';
  const limit = run.stoppedAtLimit ? '; stopped at maxDeletionsPerRun, more is due next run' : '';
  const gone = run.alreadyGone ? `, already gone ${run.alreadyGone}` : '';
  // Deletions that did not take effect are the headline's news, not a detail in status.
  const lie = run.notEffective ? `; NOT EFFECTIVE: ${run.notEffective}` : '';
  return `${verb} ${run.deleted}${gone}, kept ${run.kept}, failed ${run.failed} of ${run.evaluated} evaluated${repos}${took}${freed}${limit}${lie}`;
}

/**
 * The TAGS cell of an item: the one tag of a tag-only item, else every tag of the manifest (what
 * deleting it removes), `+N more` for those status does not list, and `<untagged>` for a manifest
 * without tags (in angle brackets, as kubectl writes `<none>`: a tag cannot contain them). Empty for
 * an item of an older operator, which did not record a manifest's tags.
 */
export function itemTags(item: Pick<RunItem, 'tag' | 'tags' | 'moreTags'>): string {
  if (item.tag !== undefined) return item.tag;
  if (item.tags === undefined) return '';
  if (item.tags.length === 0) return '<untagged>';
  return `${item.tags.join(',')}${item.moreTags ? ` +${item.moreTags} more` : ''}`;
}

// AlreadyGone is dim rather than yellow: nothing was deleted by this run.
const ACTION_TONE = {
  Failed: 'red',
  Deleted: 'yellow',
  AlreadyGone: 'dim',
  WouldDelete: 'yellow',
  Kept: 'green',
} as const;

/**
 * The items table (failures and deletions first, as the operator stores them). A signature,
 * referrer or platform manifest listed right under its image is marked `└`.
 */
export function runItemsTable(
  items: readonly RunItem[],
  paint: Painter,
  maxWidth: number | undefined,
): string {
  // Under the image only while the rows above it are that image's group.
  let group = new Set<string>();
  const under = items.map((i) => {
    const key = (digest: string | undefined) => `${i.repository}@${digest ?? ''}`;
    const nested = i.of !== undefined && group.has(key(i.of));
    if (!nested) group = new Set();
    group.add(key(i.digest));
    return nested;
  });
  return renderTable(
    ['action', 'repository', 'tags', 'digest', 'reason'],
    items.map((i, n) => [
      cell(i.action, ACTION_TONE[i.action]),
      cell(i.repository),
      cell(under[n] ? `└ ${itemTags(i)}` : itemTags(i)),
      cell(shortDigest(i.digest)),
      cell(i.reason),
    ]),
    { paint, maxWidth },
  );
}
