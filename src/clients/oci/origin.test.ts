import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Redactor } from '../http/redact.ts';
import { createOciClient } from './client.ts';
import { RealmRefusedError } from './errors.ts';
import { realmRefusal, registryBaseUrl } from './origin.ts';

describe('registryBaseUrl', () => {
  // Issue 18 (smaller ones): a prefix regex sent deletes for `localhost-shop.example.com` over http.
  it('speaks plain http only to a registry on the loopback interface', () => {
    expect(registryBaseUrl('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(registryBaseUrl('localhost:5000')).toBe('http://localhost:5000');
    expect(registryBaseUrl('[::1]:5000')).toBe('http://[::1]:5000');
    expect(registryBaseUrl('localhost-shop.example.com')).toBe('https://localhost-shop.example.com');
    expect(registryBaseUrl('127.evil.example')).toBe('https://127.evil.example');
    expect(registryBaseUrl('shop.cr.de-fra.ionos.com')).toBe('https://shop.cr.de-fra.ionos.com');
  });
});

// Issue 18 (smaller ones): the WWW-Authenticate realm's origin was not checked, so Basic
// credentials went wherever a registry pointed.
describe('realmRefusal', () => {
  const registry = new URL('https://shop.cr.de-fra.ionos.com');
  const refusal = (realm: string, tokenHosts: string[] = []) =>
    realmRefusal(new URL(realm), registry, tokenHosts);

  it('allows https on the registry’s own host (any port or path) or a known token host', () => {
    expect(refusal('https://shop.cr.de-fra.ionos.com/service/token')).toBeUndefined();
    expect(refusal('https://SHOP.cr.de-fra.ionos.com:8443/token')).toBeUndefined();
    expect(refusal('https://auth.example/token', ['auth.example'])).toBeUndefined();
  });

  it('refuses another host, a sibling or parent domain, plain http and other schemes, naming the host', () => {
    expect(refusal('https://collector.example/token')).toMatch(
      /^registry token realm collector\.example is neither/,
    );
    expect(refusal('https://evil.cr.de-fra.ionos.com/token')).toMatch(/evil\.cr\.de-fra\.ionos\.com/);
    expect(refusal('https://ionos.com/token')).toBeDefined();
    expect(refusal('http://shop.cr.de-fra.ionos.com/token')).toMatch(/is plain http/);
    expect(refusal('https://localhost/token')).toBeDefined();
    expect(refusal('ftp://shop.cr.de-fra.ionos.com/token')).toBeDefined();
  });

  it('allows plain http between loopback hosts, as the simulators’ token service needs', () => {
    const local = new URL('http://127.0.0.1:5000');
    expect(realmRefusal(new URL('http://localhost:41000/token'), local, [])).toBeUndefined();
    expect(realmRefusal(new URL('http://127.0.0.1:41000/token'), local, [])).toBeUndefined();
    expect(realmRefusal(new URL('http://collector.example/token'), local, [])).toMatch(/plain http/);
    expect(realmRefusal(new URL('https://collector.example/token'), local, [])).toMatch(/neither/);
  });

  it('allows a plain-http realm on its own host to a registry reached over plain http on purpose (insecure)', () => {
    const insecure = new URL('http://10.88.0.1:5000');
    expect(realmRefusal(new URL('http://10.88.0.1:41000/token'), insecure, [])).toBeUndefined();
    expect(realmRefusal(new URL('http://10.88.0.2:41000/token'), insecure, [])).toMatch(/plain http/);
    // Over https, a plain-http realm stays refused even on the registry's own host.
    const secure = new URL('https://10.88.0.1:5000');
    expect(realmRefusal(new URL('http://10.88.0.1:41000/token'), secure, [])).toMatch(/plain http/);
  });
});

describe('a registry that names a foreign realm', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  it('gets a RealmRefusedError and nothing is sent to that realm', async () => {
    // Every host name resolves to this one server, so a request to the realm would be seen here.
    const seen: { host: string | undefined; url: string | undefined; authorization: string | undefined }[] =
      [];
    server = createServer((req: IncomingMessage, res) => {
      req.resume();
      seen.push({ host: req.headers.host, url: req.url, authorization: req.headers.authorization });
      const port = (server?.address() as AddressInfo | null)?.port;
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://collector.example:${port}/token"` });
      res.end();
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const dispatcher = new Agent({
      connect: {
        lookup: (_host, options, callback) =>
          (options as { all?: boolean }).all
            ? (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [
                { address: '127.0.0.1', family: 4 },
              ])
            : callback(null, '127.0.0.1', 4),
      },
    });
    const oci = createOciClient({
      baseUrl: `http://registry.example:${port}`,
      provider: 'ionos',
      credentials: { username: 'cleanup', password: 'registry-password-1' },
      redactor: new Redactor(),
      dispatcher,
      retry: { retries: 0 },
    });
    const err = await oci.deleteManifest('shop/app', `sha256:${'b'.repeat(64)}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RealmRefusedError);
    expect((err as Error).message).toBe(
      'registry token realm collector.example is plain http; berth sends credentials only over https',
    );
    // Only the registry's own 401: no token request, no credentials anywhere.
    expect(seen).toEqual([
      {
        host: `registry.example:${port}`,
        url: `/v2/shop/app/manifests/sha256:${'b'.repeat(64)}`,
        authorization: undefined,
      },
    ]);
    await dispatcher.close();
  });
});
