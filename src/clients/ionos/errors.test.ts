import { afterEach, describe, expect, it } from 'vitest';
import {
  desiredIonos,
  type IonosHarness,
  seededTokenRegistry,
  startIonosHarness,
} from '../../../test/support/providers/ionos.ts';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  SchemaMismatchError,
  ServerError,
  UnauthorizedError,
} from '../http/errors.ts';
import { createIonosProvider } from './adapter.ts';

let h: IonosHarness;
afterEach(() => h?.close());

const GET_REGISTRY = 'GET /containerregistries/registries/:registryId';
const onGet = { match: { method: 'GET' } };

describe('IONOS error mapping', () => {
  it('maps wrong credentials to UnauthorizedError with the IONOS message and code (Basic and Bearer)', async () => {
    h = await startIonosHarness();
    for (const credentials of [
      { token: 'not-a-real-token' },
      { username: 'berth@example.com', password: 'wrong' },
    ]) {
      const provider = createIonosProvider({ baseUrl: h.sim.url, credentials, sleep: async () => {} });
      const err = await provider.verifyCredentials().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnauthorizedError);
      expect((err as UnauthorizedError).context).toMatchObject({ status: 401, code: 'paas-auth-1' });
      expect((err as Error).message).toMatch(/HTTP 401: Unauthorized, wrong or no api key/);
    }
  });

  it('maps a user without the registry privilege to ForbiddenError', async () => {
    h = await startIonosHarness();
    const viewer = h.sim.users.find((u) => u.privileged === false);
    const provider = createIonosProvider({
      baseUrl: h.sim.url,
      credentials: { username: viewer?.email ?? '', password: viewer?.password ?? '' },
    });
    await expect(provider.verifyCredentials()).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('maps 404, 400 and 409 without retrying them', async () => {
    h = await startIonosHarness();
    const { api } = h.provider;
    await expect(api.getRegistry('3dfa77b7-db05-4230-8f20-8e762e951953')).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(api.getRegistry('not-a-uuid')).rejects.toBeInstanceOf(BadRequestError);
    const registry = seededTokenRegistry(h.sim, 'shop');
    await api.createToken(registry.externalId, { name: 'dup' });
    const err = await api.createToken(registry.externalId, { name: 'dup' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).context.code).toBe('paas-resource-2');
    expect(h.sleeps).toEqual([]);
  });

  it('retries a GET after 429 as long as Retry-After says', async () => {
    h = await startIonosHarness();
    const registry = h.sim.addRegistry({ name: 'shop' });
    h.sim.server.faults.schedule({ kind: 'rateLimit', retryAfter: '2' }, onGet);
    const observed = await h.provider.registries.observe(
      { externalId: registry.id, name: 'shop' },
      desiredIonos('shop'),
    );
    expect(observed?.name).toBe('shop');
    expect(h.sleeps).toEqual([2000]);
    expect(h.sim.server.log.map((e) => e.status)).toEqual([429, 200]);
  });

  it('really waits for Retry-After without an injected sleep', async () => {
    h = await startIonosHarness({ provider: { sleep: undefined } });
    const registry = h.sim.addRegistry({ name: 'shop' });
    h.sim.server.faults.schedule({ kind: 'rateLimit', retryAfter: '1' }, onGet);
    const started = Date.now();
    await h.provider.api.getRegistry(registry.id);
    const [first, second] = h.sim.server.log;
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('gives up after the retries with RateLimitedError carrying the hint', async () => {
    h = await startIonosHarness();
    const registry = h.sim.addRegistry({ name: 'shop' });
    h.sim.server.faults.schedule({ kind: 'rateLimit', retryAfter: '3' }, { ...onGet, times: 4 });
    const err = await h.provider.api.getRegistry(registry.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(3000);
    expect(h.sim.server.counts()[GET_REGISTRY]).toBe(4);
  });

  it('does not retry a rate-limited issue, but reports the hint', async () => {
    h = await startIonosHarness();
    const registry = seededTokenRegistry(h.sim, 'shop');
    h.sim.server.faults.schedule({ kind: 'rateLimit', retryAfter: '5' }, { match: { method: 'POST' } });
    const err = await h.provider.tokens
      .issue({ registry, name: 'x', scopes: [{ repository: '*', actions: ['pull'] }] })
      .catch((e: unknown) => e);
    expect((err as RateLimitedError).retryAfterMs).toBe(5000);
    expect(h.sleeps).toEqual([]);
  });

  it('retries 5xx on reads with backoff, then surfaces ServerError', async () => {
    h = await startIonosHarness();
    const registry = h.sim.addRegistry({ name: 'shop' });
    h.sim.server.faults.schedule({ kind: 'serverError', status: 502 }, onGet);
    await h.provider.api.getRegistry(registry.id);
    expect(h.sleeps).toHaveLength(1);
    h.sim.server.faults.schedule({ kind: 'serverError', status: 500 }, { ...onGet, times: 10 });
    await expect(h.provider.api.getRegistry(registry.id)).rejects.toBeInstanceOf(ServerError);
    expect(h.sleeps).toHaveLength(4);
  });

  it('retries an idempotent PATCH (a full set) and a DELETE after a 503', async () => {
    h = await startIonosHarness();
    const registry = seededTokenRegistry(h.sim, 'shop');
    const token = h.sim.addToken(registry.externalId, { name: 't' });
    h.sim.server.faults.schedule({ kind: 'serverError', status: 503 }, { match: { method: 'PATCH' } });
    await h.provider.tokens.extend(registry, token.id, new Date(Date.now() + 7_200_000));
    h.sim.server.faults.schedule({ kind: 'serverError', status: 503 }, { match: { method: 'DELETE' } });
    await h.provider.tokens.revoke(registry, token.id);
    expect(h.sleeps).toHaveLength(2);
  });

  it('maps a malformed 2xx body to SchemaMismatchError', async () => {
    h = await startIonosHarness();
    const registry = h.sim.addRegistry({ name: 'shop' });
    h.sim.server.faults.schedule({ kind: 'malformed' }, onGet);
    await expect(h.provider.api.getRegistry(registry.id)).rejects.toBeInstanceOf(SchemaMismatchError);
    h.sim.server.faults.schedule({ kind: 'malformed' }, { match: { method: 'POST' } });
    const err = await h.provider.tokens
      .issue({ registry: seededTokenRegistry(h.sim, 'two'), name: 'x', scopes: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaMismatchError);
  });
});
