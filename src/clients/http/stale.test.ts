import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMetrics } from '../../metrics.ts';
import { KEEP_ALIVE } from './agent.ts';
import { HttpClient, type HttpClientOptions } from './client.ts';
import { ConnectionError } from './errors.ts';
import { Redactor } from './redact.ts';
import { closedOnReuse, replayOnStaleConnection } from './stale.ts';

// Issue 19: a server that closes idle keep-alive connections sooner than berth (gunicorn: 2 s)
// made a create fail with "other side closed" and a Warning, and the next attempt worked.

const SECRET = 'api-key-very-secret-123';
const Thing = z.object({ id: z.string() });

/** When the server drops a reused connection: as the request arrives, or once it read the body. */
type Drop = 'on arrival' | 'after reading';

interface StaleServer {
  url: string;
  /** Requests that reached the server, dropped ones included. */
  requests: () => number;
  /** Drops the next `n` requests that arrive on a connection that carried one before. */
  dropReused: (n: number, when?: Drop) => void;
  /** Drops the next `n` requests that arrive on a new connection. */
  dropFresh: (n: number) => void;
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

async function serve(setup: (s: Server) => void = () => undefined): Promise<StaleServer> {
  let n = 0;
  let reusedDrops = 0;
  let freshDrops = 0;
  let when: Drop = 'after reading';
  const carried = new WeakMap<Socket, number>();
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    n++;
    const before = carried.get(req.socket) ?? 0;
    carried.set(req.socket, before + 1);
    const drop = before > 0 ? reusedDrops > 0 : freshDrops > 0;
    if (drop && before > 0) reusedDrops--;
    else if (drop) freshDrops--;
    // What gunicorn does to a connection whose keep-alive time ran out as a request came in.
    if (drop && when === 'on arrival') return void req.socket.destroy();
    req.resume();
    req.on('end', () => {
      if (drop) return void req.socket.destroy();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x' }));
    });
  });
  setup(server);
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => n,
    dropReused: (count, at = 'after reading') => {
      reusedDrops = count;
      when = at;
    },
    dropFresh: (count) => {
      freshDrops = count;
    },
  };
}

/** A client on berth's shared connection pool, as the provider adapters use it. */
function client(url: string, extra: Partial<HttpClientOptions> = {}) {
  const sleeps: number[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const c = new HttpClient({
    provider: 'quay',
    baseUrl: url,
    auth: () => ({ authorization: `Bearer ${SECRET}` }),
    sleep: async (ms) => void sleeps.push(ms),
    redactor: new Redactor(),
    metrics,
    ...extra,
  });
  const count = async (code: string) =>
    (await metrics.registry.getSingleMetric('berth_provider_requests_total')?.get())?.values.find(
      (v) => v.labels.code === code,
    )?.value ?? 0;
  return { c, sleeps, count };
}

/** One answered request, then a pause: the pool holds an idle connection to the server. */
async function idleConnection(c: HttpClient): Promise<void> {
  await c.request({ operation: 'user.get', method: 'GET', path: '/user', schema: Thing });
  await new Promise((r) => setTimeout(r, 20));
}

describe('a pooled connection the server closed as idle', () => {
  it('costs a GET nothing: sent again at once on a new connection, no error, no backoff', async () => {
    const s = await serve();
    const { c, sleeps, count } = client(s.url);
    await idleConnection(c);
    s.dropReused(1);
    const res = await c.request({
      operation: 'robots.get',
      method: 'GET',
      path: '/robots/ci',
      schema: Thing,
    });
    expect(res.data).toEqual({ id: 'x' });
    expect(s.requests()).toBe(3);
    expect(sleeps).toEqual([]);
    // Counted apart from connection errors: nothing was lost.
    expect(await count('stale_connection')).toBe(1);
    expect(await count('connection_error')).toBe(0);
  });

  it('does not send a POST again that is not marked safe: a transient error says what happened', async () => {
    const s = await serve();
    const { c, sleeps } = client(s.url);
    await idleConnection(c);
    s.dropReused(1);
    const err = await c
      .request({ operation: 'robots.regenerate', method: 'POST', path: `/robots/ci/regenerate?t=${SECRET}` })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toBe(
      'quay robots.regenerate: the server closed the connection before answering (other side closed); ' +
        'not sent again, as repeating this request is not safe',
    );
    expect((err as ConnectionError).context).toEqual({
      provider: 'quay',
      operation: 'robots.regenerate',
      method: 'POST',
      path: '/robots/ci/regenerate',
    });
    expect(JSON.stringify(err)).not.toContain(SECRET);
    expect(s.requests()).toBe(2);
    expect(sleeps).toEqual([]);
  });

  it.each<Drop>(['after reading', 'on arrival'])(
    'sends a create marked safe once more, at once (dropped %s)',
    async (when) => {
      const s = await serve();
      const { c, sleeps } = client(s.url);
      await idleConnection(c);
      s.dropReused(1, when);
      const res = await c.request({
        operation: 'robots.create',
        method: 'PUT',
        path: '/robots/ci',
        body: { description: 'x'.repeat(64 * 1024) },
        schema: Thing,
        idempotent: false,
        retryOnStaleConnection: true,
      });
      expect(res.data).toEqual({ id: 'x' });
      expect(s.requests()).toBe(3);
      expect(sleeps).toEqual([]);
    },
  );

  it('is told from a server that drops new connections: a create marked safe is not sent again', async () => {
    const s = await serve();
    const { c } = client(s.url);
    s.dropFresh(1);
    const err = await c
      .request({ operation: 'robots.create', method: 'POST', path: '/r', retryOnStaleConnection: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/^quay robots\.create: connection failed \(/);
    expect(s.requests()).toBe(1);
  });
});

describe('replayOnStaleConnection', () => {
  /** undici's own error for a request on a pooled connection the server dropped, and for a new one. */
  async function undiciErrors(): Promise<{ stale: unknown; fresh: unknown }> {
    const s = await serve();
    const agent = new Agent(KEEP_ALIVE);
    try {
      s.dropFresh(1);
      const fresh = await request(s.url, { dispatcher: agent }).catch((e: unknown) => e);
      await (await request(s.url, { dispatcher: agent })).body.dump();
      await new Promise((r) => setTimeout(r, 20));
      s.dropReused(1);
      const stale = await request(s.url, { dispatcher: agent }).catch((e: unknown) => e);
      return { stale, fresh };
    } finally {
      await agent.close();
    }
  }

  it('tells the two apart, and sends a call again at most once, however many attempts it makes', async () => {
    const { stale, fresh } = await undiciErrors();
    expect(closedOnReuse(stale)).toBe(true);
    expect(closedOnReuse(fresh)).toBe(false);
    let sends = 0;
    const failing = () => {
      sends++;
      return Promise.reject(stale);
    };
    const replays = { left: 1 };
    const stales: unknown[] = [];
    // First attempt: sent, then once more. Later attempts of the same call: sent once each.
    await expect(replayOnStaleConnection(failing, replays, (e) => stales.push(e))).rejects.toBe(stale);
    await expect(replayOnStaleConnection(failing, replays, (e) => stales.push(e))).rejects.toBe(stale);
    expect(sends).toBe(3);
    expect(stales).toEqual([stale]);
    // Nothing left to replay when the request is unsafe to repeat, nor for any other failure.
    sends = 0;
    await expect(replayOnStaleConnection(failing, { left: 0 }, () => undefined)).rejects.toBe(stale);
    const other = () => {
      sends++;
      return Promise.reject(fresh);
    };
    await expect(replayOnStaleConnection(other, { left: 1 }, () => undefined)).rejects.toBe(fresh);
    expect(sends).toBe(2);
  });
});

describe('idle connections', () => {
  it('are closed by berth within about a second, before gunicorn (2 s) closes them unannounced', async () => {
    // keepAliveTimeout 0: no `Keep-Alive: timeout=` header and no closing by the server, as gunicorn
    // sends no such header; whoever ends the connection is berth.
    const sockets: { idleSince: number; endedAfter?: number }[] = [];
    const s = await serve((srv) => {
      srv.keepAliveTimeout = 0;
      srv.on('request', (req: IncomingMessage, res: ServerResponse) => {
        const entry: { idleSince: number; endedAfter?: number } = { idleSince: 0 };
        sockets.push(entry);
        res.on('finish', () => {
          entry.idleSince = performance.now();
        });
        req.socket.once('end', () => {
          entry.endedAfter = performance.now() - entry.idleSince;
        });
      });
    });
    const { c } = client(s.url);
    await c.request({ operation: 'user.get', method: 'GET', path: '/user', schema: Thing });
    await new Promise((r) => setTimeout(r, 1_600));
    expect(sockets).toHaveLength(1);
    expect(sockets[0]?.endedAfter).toBeGreaterThanOrEqual(900);
    expect(sockets[0]?.endedAfter).toBeLessThan(1_500);
  });
});
