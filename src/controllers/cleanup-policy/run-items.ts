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
  return { repository: d.repository, ...which, digest: d.digest, action, reason };
}

const ORDER = { Failed: 0, Deleted: 1, AlreadyGone: 1, WouldDelete: 1, Kept: 2 } as const;

/**
 * What status keeps of a run: failures and deletions first, at most MAX_RUN_ITEMS items with at
 * most MAX_TAGS_PER_ITEM tags each (`moreTags` counts the others), so the object stays small
 * however many images and tags a run saw.
 */
export function statusItems(items: readonly RunItem[]): RunItem[] {
  return [...items]
    .sort((a, b) => ORDER[a.action] - ORDER[b.action])
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
