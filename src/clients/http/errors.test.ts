import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseIonosError } from '../ionos/errors.ts';
import { HttpClient } from './client.ts';
import { BadRequestError, MAX_ERROR_MESSAGE, ServerError } from './errors.ts';
import { Redactor } from './redact.ts';

// Issue 18 (smaller ones): an endpoint's error body came back in status. What reaches a condition
// must be a short, redacted, one-line snippet of it, and no provider error message is unbounded.

const SECRET = 'issued-password-0123456789';
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

async function answering(status: number, type: string, body: string): Promise<HttpClient> {
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': type }).end(body);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const redactor = new Redactor();
  redactor.add(SECRET);
  return new HttpClient({
    provider: 'ionos',
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    auth: () => ({}),
    parseError: parseIonosError,
    redactor,
    retry: { retries: 0 },
  });
}

describe('provider error messages', () => {
  it('carry at most 200 characters of the body’s message, on one line', async () => {
    const message = `first line\n\t${'x'.repeat(300)}\n<html>${'y'.repeat(10_000)}`;
    const client = await answering(400, 'application/json', JSON.stringify({ messages: [{ message }] }));
    const err = await client
      .request({ operation: 'registries.create', method: 'POST', path: '/registries' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    const text = (err as Error).message;
    expect(text.startsWith('ionos registries.create failed with HTTP 400: first line xxx')).toBe(true);
    expect(text).not.toMatch(/[\n\t\r]/);
    expect(text.length).toBeLessThanOrEqual('ionos registries.create failed with HTTP 400: '.length + 200);
    expect(text.endsWith('…')).toBe(true);
  });

  it('redact a secret before cutting, so no part of one straddling the cut survives', async () => {
    const client = await answering(500, 'text/plain', `${'a'.repeat(195)}${SECRET} and more`);
    const err = await client
      .request({ operation: 'tokens.get', method: 'GET', path: '/t' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as Error).message).not.toContain(SECRET.slice(0, 5));
  });

  it('are never longer than MAX_ERROR_MESSAGE, however they were built', () => {
    const context = { provider: 'quay' as const, operation: 'x', method: 'GET', path: '/' };
    const err = new ServerError(`quay x: ${'z'.repeat(50_000)}`, context);
    expect(err.message).toHaveLength(MAX_ERROR_MESSAGE);
  });
});
