/** Offset paging of the 1.1+ collections (repositories, artifacts). */
import type { PageLoopGuard } from '../http/pages.ts';

/**
 * Walks 1.1+ offset pages until `_links.next` disappears. A server that ignores `offset` while
 * still linking a next page would loop here for ever; `guard` ends that with its error.
 */
export async function* offsetPages<T>(
  fetch: (offset: number) => Promise<{
    items?: T[] | null | undefined;
    _links?: { next?: string | null | undefined } | null | undefined;
  }>,
  guard: PageLoopGuard<T>,
): AsyncGenerator<T> {
  let offset = 0;
  for (;;) {
    const page = await fetch(offset);
    const items = page.items ?? [];
    guard.page(items);
    yield* items;
    offset += items.length;
    if (items.length === 0 || !page._links?.next) return;
  }
}
