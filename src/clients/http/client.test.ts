import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMetrics } from '../../metrics.ts';
import { withWorkSignal } from '../../util/work-signal.ts';
import { HttpClient, type HttpClientOptions } from './client.ts';
import {
  BadRequestError,
  ConflictError,
  ConnectionError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  SchemaMismatchError,
  ServerError,
  TimeoutError,
  UnauthorizedError,
} from './errors.ts';
import { Redactor } from './redact.ts';

type Script = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let server: Server | undefined;
async function serve(
  script: Script,
): Promise<{ url: string; requests: () => number; maxInFlight: () => number }> {
  let n = 0;
  let inFlight = 0;
  let max = 0;
  server = createServer((req, res) => {
    n++;
    inFlight++;
    max = Math.max(max, inFlight);
    res.on('close', () => inFlight--);
    req.resume();
    req.on('end', () => script(req, res, n));
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => n,
    maxInFlight: () => max,
  };
}
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

function client(url: string, extra: Partial<HttpClientOptions> = {}) {
  const sleeps: number[] = [];
  const c = new HttpClient({
    provider: 'ionos',
    baseUrl: url,
    auth: () => ({ authorization: 'Bearer api-key-very-secret-123' }),
    parseError: (body) => {
      const b = body as { messages?: { message?: string; errorCode?: string }[] };
      return { message: b?.messages?.[0]?.message, code: b?.messages?.[0]?.errorCode };
    },
    sleep: async (ms) => void sleeps.push(ms),
    redactor: new Redactor(),
    ...extra,
  });
  return { c, sleeps };
}

const Thing = z.object({ id: z.string() });
const failWith =
  (status: number, message = 'nope') =>
  (_: IncomingMessage, res: ServerResponse) =>
    json(res, status, { httpStatus: status, messages: [{ errorCode: `E${status}`, message }] });

describe('HttpClient', () => {
  it('parses a good response with its schema', async () => {
    const s = await serve((_, res) => json(res, 200, { id: 'a', extra: 1 }));
    const { c } = client(s.url);
    const res = await c.request({ operation: 't.get', method: 'GET', path: '/things/a', schema: Thing });
    expect(res.data).toEqual({ id: 'a' });
  });

  it('retries a GET on 503 and succeeds', async () => {
    const s = await serve((req, res, n) => (n < 3 ? failWith(503)(req, res) : json(res, 200, { id: 'x' })));
    const { c, sleeps } = client(s.url);
    await c.request({ operation: 't.get', method: 'GET', path: '/x', schema: Thing });
    expect(s.requests()).toBe(3);
    expect(sleeps).toHaveLength(2);
  });

  it('waits as long as Retry-After says, in seconds or as an HTTP date', async () => {
    // An HTTP date has whole seconds; the client's clock is fixed, so the wait is exact.
    const now = Date.UTC(2026, 10, 30, 12, 0, 0);
    const date = new Date(now + 5_000).toUTCString();
    const s = await serve((_, res, n) =>
      n === 1
        ? json(res, 429, {}, { 'retry-after': '2' })
        : n === 2
          ? json(res, 429, {}, { 'retry-after': date })
          : json(res, 200, { id: 'x' }),
    );
    const { c, sleeps } = client(s.url, { now: () => now });
    await c.request({ operation: 't.get', method: 'GET', path: '/x', schema: Thing });
    expect(sleeps[0]).toBe(2_000);
    expect(sleeps[1]).toBe(5_000);
  });

  it('does not retry the statuses a request declares final, and retries the others', async () => {
    const s = await serve((req, res, n) => failWith(n === 1 ? 503 : 500)(req, res));
    const { c, sleeps } = client(s.url);
    const put = { operation: 't.put', method: 'PUT', path: '/x', body: {}, finalStatuses: [500] } as const;
    await expect(c.request(put)).rejects.toThrow(ServerError);
    expect([s.requests(), sleeps.length]).toEqual([2, 1]);
  });

  it('never retries a POST (it could issue a second credential)', async () => {
    const s = await serve(failWith(503));
    const { c } = client(s.url);
    await expect(
      c.request({ operation: 'tokens.create', method: 'POST', path: '/tokens', body: {} }),
    ).rejects.toThrow(ServerError);
    expect(s.requests()).toBe(1);
  });

  it('retries a POST only when declared idempotent', async () => {
    const s = await serve((req, res, n) => (n === 1 ? failWith(502)(req, res) : json(res, 200, { id: 'x' })));
    const { c } = client(s.url);
    await c.request({
      operation: 'search',
      method: 'POST',
      path: '/search',
      idempotent: true,
      schema: Thing,
    });
    expect(s.requests()).toBe(2);
  });

  it.each([
    [400, BadRequestError],
    [401, UnauthorizedError],
    [403, ForbiddenError],
    [404, NotFoundError],
    [409, ConflictError],
  ])('maps HTTP %i to its error type without retrying', async (status, type) => {
    const s = await serve(failWith(status, 'the provider says why'));
    const { c } = client(s.url);
    const err = await c
      .request({ operation: 't.get', method: 'GET', path: '/x?secret=q' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toBe(`ionos t.get failed with HTTP ${status}: the provider says why`);
    expect((err as ServerError).context).toMatchObject({
      status,
      code: `E${status}`,
      path: '/x',
      method: 'GET',
    });
    expect(s.requests()).toBe(1);
  });

  it('gives up after its retries with a typed error carrying the Retry-After hint', async () => {
    const s = await serve((_, res) => json(res, 429, {}, { 'retry-after': '7' }));
    const { c } = client(s.url, { retry: { retries: 2 } });
    const err = await c.request({ operation: 't.get', method: 'GET', path: '/x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(7_000);
    expect(s.requests()).toBe(3);
  });

  it('reports a body that breaks the schema as SchemaMismatchError, naming the field but not the value', async () => {
    const s = await serve((_, res) => json(res, 200, { id: 42, password: 'hunter2-leaked' }));
    const { c } = client(s.url);
    const err = await c
      .request({ operation: 't.get', method: 'GET', path: '/x', schema: Thing })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect((err as Error).message).toContain('id:');
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('times out a request that gets no answer', async () => {
    const s = await serve(() => undefined);
    const { c } = client(s.url, { timeoutMs: 200, retry: { retries: 0 } });
    await expect(c.request({ operation: 't.get', method: 'GET', path: '/x' })).rejects.toThrow(TimeoutError);
  });

  it('gives up when the reconcile it runs in is cancelled (timeout or shutdown), without retrying', async () => {
    const s = await serve(() => undefined); // never answers
    const { c } = client(s.url, { timeoutMs: 30_000 });
    const reconcile = new AbortController();
    const pending = withWorkSignal(reconcile.signal, () =>
      c.request({ operation: 't.get', method: 'GET', path: '/x' }),
    );
    setTimeout(() => reconcile.abort(), 100);
    await expect(pending).rejects.toThrow(ConnectionError);
    // Settled long before the 30 s request timeout (the test's own 5 s limit), and not sent again.
    expect(s.requests()).toBe(1);
  });

  it('retries a GET after a connection reset', async () => {
    const s = await serve((req, res, n) => (n === 1 ? req.socket.destroy() : json(res, 200, { id: 'x' })));
    const { c } = client(s.url);
    await c.request({ operation: 't.get', method: 'GET', path: '/x', schema: Thing });
    expect(s.requests()).toBe(2);
    const reset = await serve((req) => req.socket.destroy());
    const { c: c2 } = client(reset.url, { retry: { retries: 0 } });
    await expect(c2.request({ operation: 't.get', method: 'GET', path: '/x' })).rejects.toThrow(
      ConnectionError,
    );
  });

  it('scrubs known secrets and credentials from error messages', async () => {
    const redactor = new Redactor();
    redactor.add('token-secret-value-XYZ');
    const s = await serve(
      failWith(400, 'bad token token-secret-value-XYZ; Authorization: Bearer abcdefghijklmnop'),
    );
    const { c } = client(s.url, { redactor });
    const err = (await c
      .request({ operation: 't.get', method: 'GET', path: '/x' })
      .catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain('token-secret-value-XYZ');
    expect(err.message).not.toContain('abcdefghijklmnop');
    expect(err.message).not.toContain('api-key-very-secret-123');
    expect(err.message).toContain('[redacted]');
  });

  it('caps requests in flight per provider', async () => {
    const s = await serve((_, res) => setTimeout(() => json(res, 200, { id: 'x' }), 50));
    const { c } = client(s.url, { limits: { qps: 1_000, burst: 1_000, concurrency: 2 } });
    await Promise.all(
      Array.from({ length: 6 }, () =>
        c.request({ operation: 't.get', method: 'GET', path: '/x', schema: Thing }),
      ),
    );
    expect(s.maxInFlight()).toBe(2);
  });

  it('counts requests by provider, operation and status', async () => {
    const s = await serve((req, res, n) => (n === 1 ? failWith(500)(req, res) : json(res, 200, { id: 'x' })));
    const metrics = createMetrics({ defaultMetrics: false });
    const { c } = client(s.url, { metrics });
    await c.request({ operation: 'registries.get', method: 'GET', path: '/x', schema: Thing });
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'berth_provider_requests_total{provider="ionos",operation="registries.get",code="500"} 1',
    );
    expect(text).toContain(
      'berth_provider_requests_total{provider="ionos",operation="registries.get",code="200"} 1',
    );
    expect(text).toContain(
      'berth_provider_request_duration_seconds_count{provider="ionos",operation="registries.get"} 1',
    );
  });
});
