/** Offset paging of the 1.1+ collections (repositories, artifacts). */

/** Walks 1.1+ offset pages until `_links.next` disappears. */
export async function* offsetPages<T>(
  fetch: (offset: number) => Promise<{
    items?: T[] | null | undefined;
    _links?: { next?: string | null | undefined } | null | undefined;
  }>,
): AsyncGenerator<T> {
  let offset = 0;
  for (;;) {
    const page = await fetch(offset);
    const items = page.items ?? [];
    yield* items;
    offset += items.length;
    if (items.length === 0 || !page._links?.next) return;
  }
}
