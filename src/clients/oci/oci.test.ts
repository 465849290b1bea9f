import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../http/errors.ts';
import { Redactor } from '../http/redact.ts';
import { RegistryAuthenticator } from './auth.ts';
import { parseChallenges } from './challenge.ts';
import { checkReference } from './errors.ts';
import { nextLink, paginate } from './paging.ts';
import { OciTransport } from './transport.ts';

describe('parseChallenges', () => {
  it('reads a bearer challenge whose scope has commas inside quotes', () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example/token',
          service: 'registry.example',
          scope: 'repository:a/b:pull,push',
        },
      },
    ]);
  });
  it('reads several challenges and unquoted values', () => {
    expect(parseChallenges('Basic realm="x", Bearer realm=https://a/t, error="insufficient_scope"')).toEqual([
      { scheme: 'basic', params: { realm: 'x' } },
      { scheme: 'bearer', params: { realm: 'https://a/t', error: 'insufficient_scope' } },
    ]);
    expect(parseChallenges(undefined)).toEqual([]);
  });
});

describe('paging', () => {
  const base = new URL('https://r.example/v2/_catalog?n=2');
  it('resolves the next link against the current page', () => {
    expect(nextLink('</v2/_catalog?last=b&n=2>; rel="next"', base)?.href).toBe(
      'https://r.example/v2/_catalog?last=b&n=2',
    );
    expect(nextLink('<https://r.example/p1>; rel="prev", </v2/x?n=2>; rel=next', base)?.pathname).toBe(
      '/v2/x',
    );
    expect(nextLink('</v2/x>; rel="prev"', base)).toBeUndefined();
  });
  it('refuses a link to another origin or back to a page already read', async () => {
    const run = (link: string) =>
      (async () => {
        for await (const _ of paginate(
          base,
          async () => ({ items: ['a'], link }),
          (r) => new Error(r),
        )) {
        }
      })();
    await expect(run('<https://evil.example/v2/_catalog>; rel="next"')).rejects.toThrow(
      /leaves the registry/,
    );
    await expect(run('</v2/_catalog?n=2>; rel="next"')).rejects.toThrow(/repeats/);
  });
});

describe('checkReference', () => {
  it('accepts distribution names, tags and digests and refuses path tricks', () => {
    expect(() => checkReference('shop/app-1', 'v1.2')).not.toThrow();
    expect(() => checkReference('shop/app', `sha256:${'a'.repeat(64)}`, true)).not.toThrow();
    expect(() => checkReference('../x', 'v1')).toThrow(TypeError);
    expect(() => checkReference('shop/app', 'v1?x=1')).toThrow(TypeError);
    expect(() => checkReference('shop/app', 'v1', true)).toThrow(/invalid digest/);
  });
});

describe('RegistryAuthenticator', () => {
  const requests: IncomingMessage[] = [];
  let answer = { token: 'tok-abcdefgh-1', expires_in: 100 } as Record<string, unknown>;
  let status = 200;
  const server = createServer((req, res) => {
    requests.push(req);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status === 200 ? answer : { errors: [{ code: 'UNAUTHORIZED', message: 'no' }] }));
  });
  const transports: OciTransport[] = [];
  afterEach(async () => {
    for (const t of transports.splice(0)) await t.close();
    if (server.listening) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    requests.length = 0;
  });
  const setup = async (now: () => number) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    const redactor = new Redactor();
    const transport = new OciTransport({ provider: 'ionos', redactor, retry: { retries: 0 } });
    transports.push(transport);
    const auth = new RegistryAuthenticator(
      transport,
      { username: 'u', password: 'secret-pw-1' },
      new URL('http://127.0.0.1:5000'),
      now,
    );
    return {
      auth,
      redactor,
      challenge: `Bearer realm="${realm}",service="svc",scope="repository:a/b:delete"`,
    };
  };

  it('fetches a token per scope with Basic credentials, caches it until shortly before expiry', async () => {
    let now = 1_000_000;
    const { auth, redactor, challenge } = await setup(() => now);
    expect(auth.headerFor('repository:a/b:pull')).toBeUndefined();
    await Promise.all([
      auth.answer(challenge, 'repository:a/b:pull'),
      auth.answer(challenge, 'repository:a/b:pull'),
    ]);
    expect(requests).toHaveLength(1); // concurrent challenges for one scope share one token request
    const url = new URL(requests[0]?.url ?? '', 'http://x');
    expect(url.searchParams.get('service')).toBe('svc');
    expect(url.searchParams.getAll('scope')).toEqual(['repository:a/b:pull', 'repository:a/b:delete']);
    expect(requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('u:secret-pw-1').toString('base64')}`,
    );
    expect(auth.headerFor('repository:a/b:pull')).toBe('Bearer tok-abcdefgh-1');
    expect(auth.headerFor('repository:c/d:pull')).toBeUndefined();
    now += 89_000; // 100 s less 10 s of margin
    expect(auth.headerFor('repository:a/b:pull')).toBeDefined();
    now += 2_000;
    expect(auth.headerFor('repository:a/b:pull')).toBeUndefined();
    expect(redactor.redact('x tok-abcdefgh-1 secret-pw-1')).toBe('x [redacted] [redacted]');
  });

  it('accepts access_token, and refuses with a typed error that names no secret', async () => {
    const { auth, challenge } = await setup(Date.now);
    answer = { access_token: 'acc-abcdefgh-2' };
    await auth.answer(challenge, 's');
    expect(auth.headerFor('s')).toBe('Bearer acc-abcdefgh-2');
    status = 401;
    const err = await auth.answer(challenge, 't').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(String((err as Error).message)).not.toMatch(/secret-pw-1|dTpzZWNyZXQtcHctMQ/);
    status = 200;
  });

  it('answers a Basic challenge once, and not at all without credentials', async () => {
    const transport = new OciTransport({ provider: 'ionos', redactor: new Redactor() });
    transports.push(transport);
    const registry = new URL('https://registry.example');
    const auth = new RegistryAuthenticator(transport, { username: 'u', password: 'secret-pw-1' }, registry);
    expect(await auth.answer('Basic realm="r"', 's')).toBe(true);
    expect(auth.headerFor('anything')).toMatch(/^Basic /);
    expect(await auth.answer('Basic realm="r"', 's')).toBe(false);
    const anonymous = new RegistryAuthenticator(transport, undefined, registry);
    expect(await anonymous.answer('Basic realm="r"', 's')).toBe(false);
  });
});
