import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient } from './http/client.ts';
import type { ProviderName } from './http/errors.ts';
import { SchemaMismatchError } from './http/errors.ts';
import { PageLoopGuard } from './http/pages.ts';
import { IonosApi } from './ionos/api.ts';
import { paginate as ociPaginate } from './oci/paging.ts';
import { QuayApi } from './quay/api.ts';
import { listingGuard, paginate as selectelPaginate } from './selectel/api.ts';

// Servers that ignore the offset, page number or token they are sent but keep saying more follow:
// every pager must end with an error naming the operation, after a page or two, never loop.

type Answer = (url: URL, n: number) => unknown;

let server: Server;
let answer: Answer;
let requests = 0;
let base = '';

beforeEach(async () => {
  requests = 0;
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests += 1;
    const body = answer(new URL(req.url ?? '/', 'http://x'), requests);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const http = (provider: ProviderName) =>
  new HttpClient({
    provider,
    baseUrl: base,
    auth: () => ({}),
    limits: { qps: 10_000, burst: 10_000, concurrency: 4 },
    retry: { retries: 0 },
    timeoutMs: 5_000,
  });

/** Drains a listing, returning the error it ends with (or undefined). */
async function drain(list: AsyncIterable<unknown>): Promise<unknown> {
  try {
    let items = 0;
    for await (const _ of list) {
      items += 1;
      if (items > 100) return new Error('still paging after 100 items');
    }
    return undefined;
  } catch (err) {
    return err;
  }
}

const loop = /the provider kept answering the same page/;

describe('IONOS pagers against a server that keeps answering the first page', () => {
  const artifact = { id: 'sha256:1', properties: { digest: 'sha256:1', tags: ['v1'] } };

  it('ends artifacts.list (ignored offset, _links.next always set) with a SchemaMismatchError', async () => {
    answer = () => ({ items: [artifact], _links: { next: '/more' } });
    const err = await drain(new IonosApi(http('ionos')).artifacts('reg', 'shop', 1));
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect(String(err)).toMatch(/ionos artifacts\.list: the provider kept answering the same page/);
    expect(requests).toBe(2);
  });

  it('ends repositories.list and tokens.list (no total, full pages) the same way', async () => {
    answer = (url) =>
      url.pathname.endsWith('/tokens')
        ? { items: [{ id: 't1', properties: { name: 't' } }] }
        : { items: [{ id: 'shop', properties: { name: 'shop' } }], _links: { next: '/more' } };
    const api = new IonosApi(http('ionos'));
    expect(String(await drain(api.repositories('reg', 1)))).toMatch(/repositories\.list: .*same page/);
    expect(String(await drain(api.tokens('reg', 1)))).toMatch(/tokens\.list: .*same page/);
  });

  it('ends registries.list when a fresh token leads to the same registries again', async () => {
    answer = (_url, n) => ({
      items: [{ id: 'r1', properties: { name: 'shop', location: 'de/fra' } }],
      pagination: { token: `t${n}` },
    });
    expect(String(await drain(new IonosApi(http('ionos')).registries(undefined, 1)))).toMatch(loop);
  });
});

describe('Quay pagers', () => {
  it('ends repositories.list when next_page comes back as an earlier token', async () => {
    answer = (url) => ({
      repositories: [{ namespace: 'org', name: url.searchParams.get('next_page') ?? 'first' }],
      next_page: 'again',
    });
    const err = await drain(new QuayApi(http('quay')).repositories('org'));
    expect(String(err)).toMatch(/quay repositories\.list: .*cursor repeats an earlier one/);
    expect(requests).toBe(2);
  });

  it('ends tags.list when page is ignored and has_additional stays true', async () => {
    const tag = { name: 'v1', start_ts: 1, manifest_digest: 'sha256:1' };
    answer = () => ({ tags: [tag], page: 1, has_additional: true });
    const err = await drain(new QuayApi(http('quay')).tags('org', 'shop'));
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect(String(err)).toMatch(/quay tags\.list: .*repeats only items already listed/);
  });
});

describe('Selectel and OCI pagers', () => {
  it('ends a Selectel listing whose full pages never change (offset ignored, no total)', async () => {
    let calls = 0;
    const pages = selectelPaginate(
      2,
      async () => {
        calls += 1;
        return { items: [{ name: 'a' }, { name: 'b' }] };
      },
      listingGuard('repositories.list', '/v2/registries/r/repositories', (r: { name: string }) => r.name),
    );
    expect(String(await drain(pages))).toMatch(/selectel repositories\.list: .*same page/);
    expect(calls).toBe(2);
  });

  it('ends an OCI catalog that ignores `last` but links on with a new URL each time', async () => {
    let n = 0;
    const first = new URL('https://r.example/v2/_catalog?n=2');
    const pages = ociPaginate(
      first,
      async () => {
        n += 1;
        return { items: ['a', 'b'], link: `</v2/_catalog?n=2&last=${n}>; rel="next"` };
      },
      (reason) => new Error(reason),
    );
    expect(String(await drain(pages))).toMatch(/the registry kept answering the same page/);
  });
});

describe('PageLoopGuard', () => {
  it('stops at the page cap even when every page is new', () => {
    const guard = new PageLoopGuard<number>(String, (reason) => new Error(reason), 3);
    for (const i of [1, 2, 3]) guard.page([i]);
    expect(() => guard.page([4])).toThrow('more than 3 pages');
  });

  it('accepts pages that overlap in part (an item pushed during the listing shifts offsets)', () => {
    const guard = new PageLoopGuard<string>(
      (s) => s,
      (reason) => new Error(reason),
    );
    guard.page(['a', 'b']);
    expect(() => guard.page(['b', 'c'])).not.toThrow();
    expect(() => guard.page([])).not.toThrow();
    expect(() => guard.page(['a', 'c'])).toThrow('repeats only items already listed');
  });
});
