import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpClient } from './client.ts';
import { ProviderError, RedirectError } from './errors.ts';
import { Redactor } from './redact.ts';

// Issue 18 (smaller ones): a 3xx counted as success for calls without a response schema, so a
// redirected revoke (DELETE) was taken as done while the credential lived on.

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** A provider whose `/tokens/1` redirects to `location` (default: its own `/landed`). */
async function redirecting(status: number, location?: string) {
  const seen: string[] = [];
  server = createServer((req, res) => {
    req.resume();
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/landed') return void res.writeHead(204).end();
    res.writeHead(status, { location: location ?? '/landed', 'content-type': 'application/json' });
    res.end('{"id":"t1"}');
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new HttpClient({
    provider: 'ionos',
    baseUrl: url,
    auth: () => ({ authorization: 'Bearer api-key-very-secret-123' }),
    redactor: new Redactor(),
    sleep: async () => undefined,
  });
  return { client, seen, url };
}

describe('HttpClient and redirects', () => {
  it.each([301, 302, 303, 307, 308])(
    'a DELETE answered %i is a RedirectError, not success, and the redirect is not followed',
    async (status) => {
      const { client, seen, url } = await redirecting(status);
      const err = await client
        .request({ operation: 'tokens.delete', method: 'DELETE', path: '/tokens/1' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RedirectError);
      expect(err).toBeInstanceOf(ProviderError);
      expect((err as RedirectError).status).toBe(status);
      expect((err as Error).message).toBe(
        `ionos tokens.delete: the server answered HTTP ${status}, a redirect to ${url}; berth follows ` +
          'no redirects and does not take one for success: check the endpoint URL',
      );
      // Once: not followed, and not retried (a redirect is not transient).
      expect(seen).toEqual(['DELETE /tokens/1']);
    },
  );

  it('names only the origin a redirect points at (its path and query can carry a token)', async () => {
    const { client } = await redirecting(302, 'https://elsewhere.example/collect?token=abc123secret');
    const err = await client
      .request({
        operation: 'tokens.get',
        method: 'GET',
        path: '/tokens/1',
        schema: z.object({ id: z.string() }),
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedirectError);
    expect((err as Error).message).toContain('a redirect to https://elsewhere.example;');
    expect((err as Error).message).not.toMatch(/collect|abc123secret/);
  });
});
