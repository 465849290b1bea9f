import { MAX_PAGES, PageLoopGuard } from '../http/pages.ts';

/**
 * The `rel="next"` target of a `Link` header (RFC 8288), resolved against the current page's URL.
 * Distribution sends `</v2/_catalog?last=b&n=2>; rel="next"`; several links may share one header.
 */
export function nextLink(header: string | undefined, current: URL): URL | undefined {
  if (!header) return undefined;
  for (const m of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(m[2] ?? '')?.[1];
    if (rel?.toLowerCase().split(/\s+/).includes('next')) return new URL(m[1] ?? '', current);
  }
  return undefined;
}

/** One page: its items and the `Link` header that may point at the next. */
export interface Page {
  items: string[];
  link: string | undefined;
}

/**
 * Follows `Link: rel="next"` from `first` until a page has none. The next URL must stay on the
 * registry's origin (the request carries credentials) and must not repeat (a buggy registry that
 * links a page to itself would otherwise loop forever); nor may a page repeat only names already
 * listed (a registry that ignores `last` but links on), nor may there be more than `maxPages`.
 * Each ends with `onInvalid`'s error.
 */
export async function* paginate(
  first: URL,
  fetchPage: (url: URL) => Promise<Page>,
  onInvalid: (reason: string) => Error,
  maxPages = MAX_PAGES,
): AsyncGenerator<string> {
  const seen = new Set<string>();
  const guard = new PageLoopGuard<string>(
    (name) => name,
    (reason) => onInvalid(`the registry kept answering the same page (${reason})`),
    maxPages,
  );
  let url: URL | undefined = first;
  while (url) {
    seen.add(url.href);
    const page = await fetchPage(url);
    guard.page(page.items);
    yield* page.items;
    const next = nextLink(page.link, url);
    if (next && next.origin !== first.origin) throw onInvalid('next page link leaves the registry');
    if (next && seen.has(next.href)) throw onInvalid('next page link repeats an earlier page');
    url = next;
  }
}
