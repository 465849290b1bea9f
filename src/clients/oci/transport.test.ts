import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NotFoundError, RedirectError, ResponseTooLargeError } from '../http/errors.ts';
import { Redactor } from '../http/redact.ts';
import { createOciClient, type OciClient } from './client.ts';

// Issue 18 (smaller ones): what a registry answers is bounded and never taken for more than it is.

const MiB = 1024 * 1024;
const DIGEST = `sha256:${'a'.repeat(64)}`;
let server: Server | undefined;
let client: OciClient | undefined;
afterEach(async () => {
  await client?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** Streams `total` bytes in 1 MiB chunks, honouring back-pressure; counts what it wrote. */
function stream(res: ServerResponse, total: number, written: { bytes: number }): void {
  const chunk = Buffer.alloc(MiB, ' ');
  const pump = () => {
    while (written.bytes < total && !res.destroyed) {
      written.bytes += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

async function registry(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<OciClient> {
  server = createServer((req, res) => {
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  client = createOciClient({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    provider: 'ionos',
    redactor: new Redactor(),
    retry: { retries: 0 },
  });
  return client;
}

describe('OCI response limits', () => {
  it('reads a manifest up to the distribution spec’s 4 MiB and no further', async () => {
    const written = { bytes: 0 };
    const oci = await registry((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      stream(res, 256 * MiB, written);
    });
    const err = await oci.getManifest('shop/app', 'v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect((err as Error).message).toBe(
      'ionos oci.manifests.get: the response is larger than 4 MiB, the most berth reads for this call; ' +
        'it stopped reading and closed the connection',
    );
    expect(written.bytes).toBeLessThan(64 * MiB);
  });

  it('reads a tag list page up to 8 MiB, and an error body only as far as its message', async () => {
    const written = { bytes: 0 };
    const oci = await registry((req, res) => {
      if (req.url?.includes('/tags/list')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return stream(res, 256 * MiB, written);
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      stream(res, 256 * MiB, written);
    });
    const tags = async () => {
      for await (const _ of oci.tags('shop/app')) {
      }
    };
    await expect(tags()).rejects.toThrow(/larger than 8 MiB/);
    written.bytes = 0;
    // A 404 keeps its meaning (no such manifest) however much the registry sends with it.
    await expect(oci.getManifest('shop/app', DIGEST)).rejects.toBeInstanceOf(NotFoundError);
    expect(written.bytes).toBeLessThan(64 * MiB);
  });
});

describe('OCI redirects', () => {
  it('a manifest DELETE answered with a redirect is a RedirectError and is not followed', async () => {
    const seen: string[] = [];
    const oci = await registry((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(307, { location: '/elsewhere' }).end();
    });
    const err = await oci.deleteManifest('shop/app', DIGEST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedirectError);
    expect((err as Error).message).toMatch(
      /^ionos oci\.manifests\.delete: the server answered HTTP 307, a redirect/,
    );
    expect(seen).toEqual([`DELETE /v2/shop/app/manifests/${DIGEST}`]);
  });

  it('a token realm that redirects hands out no token, even with a token in its body', async () => {
    let tokenRequests = 0;
    const oci = await registry((req, res) => {
      if (req.url?.startsWith('/token')) {
        tokenRequests++;
        res.writeHead(302, { location: '/token2', 'content-type': 'application/json' });
        return void res.end('{"token":"not-a-real-token-1"}');
      }
      if (req.headers.authorization === 'Bearer not-a-real-token-1') return void res.writeHead(202).end();
      const realm = `http://${req.headers.host}/token`;
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="reg"` }).end();
    });
    await expect(oci.deleteManifest('shop/app', DIGEST)).rejects.toBeInstanceOf(RedirectError);
    expect(tokenRequests).toBe(1);
  });
});
