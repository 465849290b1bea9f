/**
 * A guard for list pagers against a provider that keeps answering the same page: one that ignores
 * the offset, page number or token it is sent but still says more follow. Every pager stops on the
 * provider's "no more" signal; this guard makes sure a server that never gives it ends the listing
 * with an error instead of looping (and a cleanup run never finishing).
 */
import { type ProviderErrorContext, SchemaMismatchError } from './errors.ts';

/**
 * Most pages one listing follows, the last resort when neither cursors nor items repeat: 10,000
 * pages of 100 are a million items, far more than any registry berth manages holds.
 */
export const MAX_PAGES = 10_000;

/** Builds the error a pager throws on a loop, from a short reason such as "more than 10000 pages". */
export type PageLoopFailure = (reason: string) => Error;

/**
 * Watches the pages of one listing. `page` is called with each page's items before they are handed
 * on, `follow` with each next-page cursor (token or link) before it is requested; either throws the
 * failure when the provider repeats itself or the page cap is passed.
 */
export class PageLoopGuard<T> {
  private readonly key: (item: T) => string;
  private readonly fail: PageLoopFailure;
  private readonly maxPages: number;
  private readonly cursors = new Set<string>();
  private readonly seen = new Set<string>();
  private pages = 0;

  constructor(key: (item: T) => string, fail: PageLoopFailure, maxPages = MAX_PAGES) {
    this.key = key;
    this.fail = fail;
    this.maxPages = maxPages;
  }

  /**
   * Checks a page: a non-empty page whose items were all listed before is the same page again
   * (offsets and page numbers always advance, so only the items can tell).
   */
  page(items: readonly T[]): void {
    this.pages += 1;
    if (this.pages > this.maxPages) throw this.fail(`more than ${this.maxPages} pages`);
    let fresh = items.length === 0;
    for (const item of items) {
      const key = this.key(item);
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      fresh = true;
    }
    if (!fresh) throw this.fail('a page repeats only items already listed');
  }

  /** Checks the cursor of the next page: one seen before would lead back to a page already read. */
  follow(cursor: string): void {
    if (this.cursors.has(cursor)) throw this.fail('the next page cursor repeats an earlier one');
    this.cursors.add(cursor);
  }
}

/**
 * The error of a provider API pager that loops: a SchemaMismatchError (the answers contradict the
 * paging the API documents) naming the provider, the operation and why.
 */
export function pageLoopError(context: ProviderErrorContext, reason: string): SchemaMismatchError {
  return new SchemaMismatchError(
    `${context.provider} ${context.operation}: the provider kept answering the same page (${reason})`,
    context,
  );
}
