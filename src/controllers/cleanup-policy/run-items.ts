import type { Logger } from 'pino';
import { MAX_RUN_ITEMS } from '../../crds/cleanup-policy.ts';
import { MAX_TAGS_PER_ITEM, type RunItem } from '../../crds/cleanup-rules.ts';
import type { Decision } from './plan.ts';

/**
 * The item of a run for one decision. A tag deleted or kept on its own names that tag (`tag`); a
 * whole manifest lists every tag it carries (`tags`, empty when untagged), because deleting it
 * removes them all and whoever approves a dry run must see each one. Items keep all tags here;
 * {@link statusItems} bounds them for status.
 */
export function runItem(d: Decision, action: RunItem['action'], reason = d.reason): RunItem {
  const which =
    d.action === 'delete-manifest'
      ? { tags: [...d.tags] }
      : d.tag !== undefined
        ? { tag: d.tag }
        : // A keep without a tag is an untagged manifest: say so rather than leave it blank.
          { tags: [] };
  const item: RunItem = { repository: d.repository, ...which, digest: d.digest, action, reason };
  return d.of === undefined ? item : { ...item, of: d.of };
}

/**
 * The items in groups: each item that belongs to no other listed one, followed by those that belong
 * to it (`of`: a referrer's subject, a platform manifest's index), transitively, in their order.
 */
export function groupWithImages(items: readonly RunItem[]): RunItem[][] {
  const key = (repository: string, digest: string | undefined) => `${repository}@${digest ?? ''}`;
  const listed = new Set(items.map((i) => key(i.repository, i.digest)));
  const belongs = (i: RunItem) =>
    i.of !== undefined && i.of !== i.digest && listed.has(key(i.repository, i.of));
  const children = new Map<string, number[]>();
  for (const [n, i] of items.entries()) {
    if (!belongs(i)) continue;
    const parent = key(i.repository, i.of);
    children.set(parent, [...(children.get(parent) ?? []), n]);
  }
  const groups: RunItem[][] = [];
  const placed = new Set<number>();
  const place = (n: number, group: RunItem[], depth: number): void => {
    const i = items[n];
    if (i === undefined || placed.has(n)) return;
    placed.add(n);
    group.push(i);
    // Items of one manifest (its tags) share the key: its children follow the first of them.
    const kids = children.get(key(i.repository, i.digest));
    if (kids && depth < 8) for (const k of kids) place(k, group, depth + 1);
  };
  const start = (n: number) => {
    const group: RunItem[] = [];
    place(n, group, 0);
    if (group.length > 0) groups.push(group);
  };
  for (const [n, i] of items.entries()) if (!belongs(i)) start(n);
  // What is left belongs to a cycle (never in practice): each its own group.
  for (const n of items.keys()) start(n);
  return groups;
}

const ORDER = { Failed: 0, Deleted: 1, AlreadyGone: 1, WouldDelete: 1, Kept: 2 } as const;
const rank = (group: readonly RunItem[]) => Math.min(...group.map((i) => ORDER[i.action]));

/**
 * What status keeps of a run: failures and deletions first (a group of an image and what belongs
 * to it ranks by its most urgent item, so a failure never hides behind a kept image), at most
 * MAX_RUN_ITEMS items with at most MAX_TAGS_PER_ITEM tags each (`moreTags` counts the others), so
 * the object stays small however many images and tags a run saw.
 */
export function statusItems(items: readonly RunItem[]): RunItem[] {
  return groupWithImages(items)
    .map((group, n) => ({ group, n, rank: rank(group) }))
    .sort((a, b) => a.rank - b.rank || a.n - b.n)
    .flatMap(({ group }) => group)
    .slice(0, MAX_RUN_ITEMS)
    .map((item) => {
      const tags = item.tags;
      if (tags === undefined || tags.length <= MAX_TAGS_PER_ITEM) return item;
      return { ...item, tags: tags.slice(0, MAX_TAGS_PER_ITEM), moreTags: tags.length - MAX_TAGS_PER_ITEM };
    });
}

/**
 * Logs every deletion of a run (or would-be deletion, or failure) with all its tags: status keeps
 * 50 items, the log is where the rest of a large run can be read. Kept items are not logged; a
 * run may keep every image of the registry.
 */
export function logDeletions(logger: Logger, items: readonly RunItem[]): void {
  for (const { action, repository, digest, tag, tags, reason } of items) {
    if (action === 'Kept') continue;
    logger.info(
      { action, repository, digest, tags: tag !== undefined ? [tag] : tags, reason },
      'cleanup item',
    );
  }
}
