import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RESPONSE_LIMITS } from './body.ts';
import { HttpClient } from './client.ts';
import { NotFoundError, ResponseTooLargeError } from './errors.ts';
import { Redactor } from './redact.ts';

// Issue 18 (smaller ones): provider response bodies were read whole, however large. A broken or
// hostile endpoint must not be able to fill the operator's heap.

const MiB = 1024 * 1024;
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** Streams `total` bytes of `fill` in 1 MiB chunks, honouring back-pressure; reports what it wrote. */
function stream(res: ServerResponse, total: number, fill: string, written: { bytes: number }): void {
  const chunk = Buffer.alloc(MiB, fill);
  const pump = () => {
    while (written.bytes < total && !res.destroyed) {
      written.bytes += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

async function serve(handler: (res: ServerResponse) => void): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    handler(res);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const client = (baseUrl: string) =>
  new HttpClient({
    provider: 'quay',
    baseUrl,
    auth: () => ({}),
    parseError: (body) => ({ message: (body as { error_message?: string } | undefined)?.error_message }),
    redactor: new Redactor(),
    retry: { retries: 0 },
  });

describe('HttpClient response limits', () => {
  it('stops reading a JSON answer past 8 MiB, closes the connection and names the limit, not the body', async () => {
    const written = { bytes: 0 };
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      stream(res, 256 * MiB, 'x', written);
    });
    const err = await client(url)
      .request({ operation: 'robots.get', method: 'GET', path: '/r', schema: z.object({}) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect((err as Error).message).toBe(
      'quay robots.get: the response is larger than 8 MiB, the most berth reads for this call; ' +
        'it stopped reading and closed the connection',
    );
    expect((err as ResponseTooLargeError).status).toBe(200);
    // The server was cut off long before it finished (socket buffers hold a few MiB at most).
    expect(written.bytes).toBeLessThan(64 * MiB);
  });

  it('refuses a declared Content-Length above the limit before reading, and allows a call its own limit', async () => {
    const body = JSON.stringify({ robots: [], pad: 'p'.repeat(9 * MiB) });
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    const schema = z.object({ robots: z.array(z.unknown()) });
    await expect(
      client(url).request({ operation: 'robots.list', method: 'GET', path: '/r', schema }),
    ).rejects.toBeInstanceOf(ResponseTooLargeError);
    const res = await client(url).request({
      operation: 'robots.list',
      method: 'GET',
      path: '/r',
      schema,
      maxResponseBytes: RESPONSE_LIMITS.unpaged,
    });
    expect(res.data.robots).toEqual([]);
  });

  it('keeps the meaning of an error status whose body is huge: a 404 is still a 404', async () => {
    const written = { bytes: 0 };
    const url = await serve((res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      stream(res, 256 * MiB, 'e', written);
    });
    const err = await client(url)
      .request({ operation: 'robots.delete', method: 'DELETE', path: '/r' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(written.bytes).toBeLessThan(64 * MiB);
  });
});
