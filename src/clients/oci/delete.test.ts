import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Redactor } from '../http/redact.ts';
import { createOciClient, type OciClient } from './client.ts';

// Issue 22 item 3: a 404 to a manifest DELETE was counted as a deletion. It still is no error
// (deleting twice is fine), but the caller is told the manifest was not there to delete.

const DIGEST = `sha256:${'c'.repeat(64)}`;
let server: Server | undefined;
let client: OciClient | undefined;
afterEach(async () => {
  await client?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

/** A registry that answers every request with `status`. */
async function answering(status: number): Promise<OciClient> {
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
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

describe('OCI manifest DELETE outcome', () => {
  it.each([200, 202, 204])('HTTP %i is a deletion', async (status) => {
    const oci = await answering(status);
    await expect(oci.deleteManifest('shop/app', DIGEST)).resolves.toBe('deleted');
  });

  it('HTTP 404 is no error, but says the manifest was already gone', async () => {
    const oci = await answering(404);
    await expect(oci.deleteManifest('shop/app', DIGEST)).resolves.toBe('gone');
  });
});
