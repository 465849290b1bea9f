import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  desiredRegistry,
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
  TEST_USER,
  tokenRegistry,
} from '../../../test/support/providers/selectel.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  SchemaMismatchError,
  ServerError,
  UnauthorizedError,
} from '../http/errors.ts';
import type { TokenRegistry } from '../provider.ts';
import type { SelectelTokens } from './tokens.ts';

let bed: SelectelTestBed;
let registry: TokenRegistry;
const PULL = [{ repository: '*', actions: ['pull' as const] }];
const hits = (route: string) => bed.sim.server.counts()[route] ?? 0;

beforeAll(async () => {
  bed = await startSelectelTestBed();
});
afterAll(() => bed.stop());
beforeEach(() => {
  bed.sim.state.registries.clear();
  bed.sim.state.tokensV2.clear();
  bed.sim.server.log.length = 0;
  bed.sim.server.faults.clear();
  registry = tokenRegistry(bed.sim, bed.sim.addRegistry(TEST_PROJECT, 'shop'));
});

describe('retries', () => {
  it('waits for Retry-After on a 429 and then succeeds', async () => {
    const sleeps: number[] = [];
    const provider = bed.provider({ sleep: async (ms) => void sleeps.push(ms) });
    bed.sim.server.faults.schedule({ kind: 'rateLimit', retryAfter: '1' }, { match: { path: /^\/api\// } });
    await provider.registries.observe(
      { name: 'shop', externalId: registry.externalId },
      desiredRegistry('shop'),
    );
    expect(sleeps).toEqual([1000]);
    expect(hits('GET /api/v1/registries/:id')).toBe(2);
  });

  it('really waits when no sleep is injected', async () => {
    const provider = bed.provider({ sleep: undefined });
    bed.sim.server.faults.schedule({ kind: 'rateLimit', retryAfter: '1' }, { match: { path: /^\/api\// } });
    const started = Date.now();
    await provider.api.getRegistry(registry.externalId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('retries reads after 5xx and resets with backoff, and gives up after the retry budget', async () => {
    const sleeps: number[] = [];
    const provider = bed.provider({ sleep: async (ms) => void sleeps.push(ms) });
    bed.sim.server.faults.schedule({ kind: 'serverError', status: 502 }, { match: { path: /^\/api\// } });
    bed.sim.server.faults.schedule({ kind: 'reset' }, { match: { path: /^\/api\// } });
    await provider.api.getRegistry(registry.externalId);
    // The 502 is retried after a backoff. The reset comes on the connection the 502 left open,
    // which is what a server closing an idle connection looks like: sent again at once, no wait.
    expect(sleeps).toHaveLength(1);
    bed.sim.server.faults.schedule(
      { kind: 'serverError', status: 503 },
      { times: 10, match: { path: /^\/api\// } },
    );
    await expect(provider.api.getRegistry(registry.externalId)).rejects.toBeInstanceOf(ServerError);
    expect(hits('GET /api/v1/registries/:id')).toBe(3 + 4);
  });

  it('retries extend (refresh sets an absolute expiry) but not issue', async () => {
    const provider = bed.provider();
    const tokens = provider.tokens as SelectelTokens;
    const issued = await tokens.issue({ registry, name: 'berth-a', scopes: PULL });
    bed.sim.server.faults.schedule({ kind: 'serverError', status: 503 }, { match: { path: /refresh$/ } });
    await tokens.extend(registry, issued.id, new Date(bed.sim.state.now() + 3_600_000));
    expect(hits('POST /api/v2/tokens/:id/refresh')).toBe(2);
  });
});

describe('error mapping', () => {
  it('maps 401 (wrong service user) and 403 (read-only user)', async () => {
    const wrong = bed.provider({
      credentials: { username: TEST_USER.username, password: 'nope-nope', accountId: TEST_USER.accountId },
    });
    await expect(wrong.tokens.issue({ registry, name: 'x', scopes: PULL })).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    const reader = bed.provider({ credentials: { token: bed.sim.issueIamToken(TEST_PROJECT, 'reader') } });
    const err = await reader.tokens.issue({ registry, name: 'x', scopes: PULL }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as Error).message).toBe('selectel tokens.create failed with HTTP 403: Forbidden.');
  });

  it('maps 404 to undefined from observe and NotFoundError elsewhere', async () => {
    const provider = bed.provider();
    expect(await provider.tokens.observe(registry, 'c29e3f63-0711-4772-a415-ad79973bdaef')).toBeUndefined();
    const err = await provider.api.tokens.get('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe('selectel tokens.get failed with HTTP 404: Token not found.');
  });

  it('maps 409, 429 after retries, 5xx on a create, and a malformed body', async () => {
    const provider = bed.provider();
    await expect(provider.registries.create(desiredRegistry('shop'))).rejects.toBeInstanceOf(ConflictError);
    bed.sim.server.faults.schedule(
      { kind: 'rateLimit', retryAfter: '2' },
      { times: 4, match: { path: /^\/api\// } },
    );
    const limited = await provider.api.listRegistries().catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterMs).toBe(2000);
    bed.sim.server.faults.schedule({ kind: 'serverError', status: 500 }, { match: { method: 'POST' } });
    await expect(provider.registries.create(desiredRegistry('new'))).rejects.toBeInstanceOf(ServerError);
    expect(hits('POST /api/v1/registries')).toBe(2);
    bed.sim.server.faults.schedule({ kind: 'malformed' }, { match: { path: /^\/api\// } });
    await expect(provider.tokens.listOwned(registry, 'x')).rejects.toBeInstanceOf(SchemaMismatchError);
  });
});

describe('secrets never leak', () => {
  it('keeps issued secrets, IAM tokens and the service password out of logs and error messages', async () => {
    let logged = '';
    const stream = new Writable({
      write(chunk, _encoding, done) {
        logged += String(chunk);
        done();
      },
    });
    const logger = pino({ level: 'debug' }, stream);
    const provider = bed.provider({ logger, sleep: async () => {} });
    const v1 = bed.provider({ logger, tokenApi: 'v1' });
    const tokens = provider.tokens as SelectelTokens;
    const errors: unknown[] = [];
    const attempt = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
        logger.warn({ err }, 'provider call failed');
      }
    };

    const issued = await tokens.issue({ registry, name: 'berth-a', scopes: PULL });
    const regenerated = await tokens.regenerate(registry, issued.id);
    const legacy = await v1.tokens.issue({ registry, name: 'berth-v1', scopes: PULL });
    const faults = bed.sim.server.faults;
    faults.schedule({ kind: 'rateLimit', retryAfter: '1' }, { match: { path: /^\/api\// } });
    await attempt(() => tokens.observe(registry, issued.id));
    faults.schedule({ kind: 'serverError', status: 500 }, { times: 8, match: { path: /\/v1\/token\// } });
    await attempt(() => v1.tokens.observe(registry, legacy.id));
    await attempt(() => v1.tokens.revoke(registry, legacy.id));
    faults.schedule({ kind: 'reset' }, { match: { method: 'POST' } });
    await attempt(() => tokens.issue({ registry, name: 'berth-b', scopes: PULL }));
    faults.schedule({ kind: 'malformed' }, { match: { path: /regenerate$/ } });
    await attempt(() => tokens.regenerate(registry, issued.id));
    bed.sim.expireIamTokens();
    await attempt(() => provider.api.tokens.get('missing'));
    await attempt(() =>
      bed
        .provider({
          logger,
          credentials: { username: TEST_USER.username, password: 'Wrong-Pa55word', accountId: '1' },
        })
        .verifyCredentials(),
    );

    expect(errors.length).toBeGreaterThanOrEqual(5);
    expect(logged).toContain('retrying provider request');
    const secrets = [
      issued.login.password,
      regenerated.login.password,
      legacy.login.password,
      TEST_USER.password,
      'Wrong-Pa55word',
      ...bed.sim.identity.issuedTokens(),
    ];
    const surfaces = [
      logged,
      ...errors.map((e) => `${(e as Error).message} ${JSON.stringify((e as { context?: unknown }).context)}`),
    ].join('\n');
    for (const secret of secrets) expect(surfaces).not.toContain(secret);
  });
});
