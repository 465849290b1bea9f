import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  LONGEST_CREDENTIAL_NAME,
  OWNED_UNDER_PREFIX,
  SAMPLE_CREDENTIAL_NAMES,
} from '../../../test/support/credential-names.ts';
import {
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
  tokenRegistry,
} from '../../../test/support/providers/selectel.ts';
import type { SimRegistry } from '../../simulators/selectel/state.ts';
import { BadRequestError, ConnectionError, NotFoundError, ServerError } from '../http/errors.ts';
import type { TokenRegistry } from '../provider.ts';
import type { SelectelProvider } from './adapter.ts';
import type { SelectelTokens } from './tokens.ts';

let bed: SelectelTestBed;
let provider: SelectelProvider;
let tokens: SelectelTokens;
let simRegistry: SimRegistry;
let registry: TokenRegistry;
const HOUR = 3_600_000;
const PULL = [{ repository: '*', actions: ['pull' as const] }];
const now = () => bed.sim.state.now();
const creates = () => bed.sim.server.log.filter((e) => e.method === 'POST' && e.path === '/api/v2/tokens');

beforeAll(async () => {
  bed = await startSelectelTestBed();
});
afterAll(() => bed.stop());
beforeEach(() => {
  bed.sim.state.registries.clear();
  bed.sim.state.tokensV2.clear();
  bed.sim.server.log.length = 0;
  bed.sim.server.faults.clear();
  bed.sim.state.expirationReading = 'either';
  bed.sim.state.v1TokenFormat = 'CRgAAAAA';
  provider = bed.provider({ pageSize: 2 });
  tokens = provider.tokens as SelectelTokens;
  simRegistry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
  registry = tokenRegistry(bed.sim, simRegistry);
});

describe('SelectelTokens (v2)', () => {
  it('declares Rotate and Extend with expiring tokens', () => {
    expect(tokens.renewalModes).toEqual(['Rotate', 'Extend']);
    expect(tokens.expires).toBe(true);
  });

  it('issues a read-only token for the registry and maps it to a docker login', async () => {
    const expiresAt = new Date(Math.floor(now() / 1000) * 1000 + 720 * HOUR);
    const issued = await tokens.issue({ registry, name: 'berth-shop-pull-1', scopes: PULL, expiresAt });
    expect(issued).toMatchObject({
      name: 'berth-shop-pull-1',
      login: { server: '127.0.0.1:5000', username: 'token' },
      expiresAt,
    });
    const check = bed.sim.registryAccess.verify(issued.login.username, issued.login.password);
    expect(check?.('shop/app')).toEqual(['pull']);
    expect(bed.sim.tokens()[0]?.scope).toEqual({
      allRegistries: false,
      modeRW: false,
      registryIds: [simRegistry.id],
    });
  });

  it('issues read/write when push or delete is asked, and a token without expiry when none is', async () => {
    const issued = await tokens.issue({
      registry,
      name: 'berth-shop-push-1',
      scopes: [{ repository: '*', actions: ['pull', 'push'] }],
    });
    expect(issued.expiresAt).toBeUndefined();
    expect(bed.sim.registryAccess.verify('token', issued.login.password)?.('shop/app')).toEqual([
      'pull',
      'push',
      'delete',
    ]);
    expect((await tokens.observe(registry, issued.id))?.expiresAt).toBeUndefined();
  });

  it('refuses repository-level scopes before calling the API', async () => {
    const err = await tokens
      .issue({ registry, name: 'x', scopes: [{ repository: 'shop/app', actions: ['pull'] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(creates()).toHaveLength(0);
  });

  it('observes a token and reports revoked, expired and deleted ones correctly', async () => {
    const expiresAt = new Date(now() + HOUR);
    const issued = await tokens.issue({ registry, name: 'berth-a', scopes: PULL, expiresAt });
    const observed = await tokens.observe(registry, issued.id);
    expect(observed).toEqual({ id: issued.id, name: 'berth-a', expiresAt: issued.expiresAt, enabled: true });
    expect(JSON.stringify(observed)).not.toContain(issued.login.password);

    await provider.api.tokens.revoke(issued.id);
    expect((await tokens.observe(registry, issued.id))?.enabled).toBe(false);

    const expiring = await tokens.issue({ registry, name: 'berth-b', scopes: PULL, expiresAt });
    bed.sim.advance(2 * HOUR);
    expect(bed.sim.tokens().find((t) => t.id === expiring.id)?.status).toBe('expired');
    expect((await tokens.observe(registry, expiring.id))?.enabled).toBe(false);

    await tokens.revoke(registry, issued.id);
    expect(await tokens.observe(registry, issued.id)).toBeUndefined();
  });

  it('reports a token that no longer covers the registry as disabled', async () => {
    const issued = await tokens.issue({ registry, name: 'berth-a', scopes: PULL });
    const other = bed.sim.addRegistry(TEST_PROJECT, 'other');
    await provider.api.tokens.update(issued.id, {
      scope: { allRegistries: false, modeRW: false, registryIds: [other.id] },
    });
    expect((await tokens.observe(registry, issued.id))?.enabled).toBe(false);
  });

  it('lists owned tokens by name prefix across several pages', async () => {
    for (let i = 0; i < 5; i++) await tokens.issue({ registry, name: `berth-shop-pull-${i}`, scopes: PULL });
    await tokens.issue({ registry, name: 'someone-else', scopes: PULL });
    await tokens.issue({ registry, name: 'xberth-shop-pull-9', scopes: PULL });
    const owned = await tokens.listOwned(registry, 'berth-shop-pull-');
    expect(owned.map((t) => t.name).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `berth-shop-pull-${i}`));
    expect(bed.sim.server.counts()['GET /api/v2/tokens']).toBe(3);
  });

  it('finds berth names of both forms under each prefix a sweep passes, across the project', async () => {
    // Selectel lists tokens project-wide: the twin's token lives on another registry of the project.
    const other = tokenRegistry(bed.sim, bed.sim.addRegistry(TEST_PROJECT, 'other'));
    for (const [i, name] of SAMPLE_CREDENTIAL_NAMES.entries())
      await tokens.issue({ registry: i % 2 === 0 ? registry : other, name, scopes: PULL });
    for (const [prefix, names] of OWNED_UNDER_PREFIX)
      expect((await tokens.listOwned(registry, prefix)).map((t) => t.name).sort()).toEqual(names);
  });

  it('issues the longest name berth gives', async () => {
    const issued = await tokens.issue({ registry, name: LONGEST_CREDENTIAL_NAME, scopes: PULL });
    expect((await tokens.observe(registry, issued.id))?.name).toBe(LONGEST_CREDENTIAL_NAME);
  });

  it('extends with refresh: a later expiry and the same secret still working', async () => {
    const issued = await tokens.issue({
      registry,
      name: 'berth-a',
      scopes: PULL,
      expiresAt: new Date(now() + HOUR),
    });
    const later = new Date(Math.floor(now() / 1000) * 1000 + 48 * HOUR);
    const extended = await tokens.extend(registry, issued.id, later);
    expect(extended).toMatchObject({ id: issued.id, expiresAt: later, enabled: true });
    bed.sim.advance(2 * HOUR);
    expect(bed.sim.registryAccess.verify('token', issued.login.password)).toBeDefined();
    await expect(tokens.extend(registry, 'missing', later)).rejects.toBeInstanceOf(NotFoundError);
  });

  // Issue 21 item 1: the reference wraps the expiry, craas-go sends it bare; berth's body must give
  // the same expiry to a server that reads only one of them (a lenient bare reading of the wrapped
  // form alone would make the token never expire).
  for (const reading of ['wrapped', 'bare'] as const) {
    it(`extends and regenerates to the asked expiry when the service reads only the ${reading} form`, async () => {
      bed.sim.state.expirationReading = reading;
      const issued = await tokens.issue({
        registry,
        name: 'berth-a',
        scopes: PULL,
        expiresAt: new Date(now() + HOUR),
      });
      const later = new Date(Math.floor(now() / 1000) * 1000 + 48 * HOUR);
      expect((await tokens.extend(registry, issued.id, later)).expiresAt).toEqual(later);
      expect((await tokens.observe(registry, issued.id))?.expiresAt).toEqual(later);
      const again = new Date(later.getTime() + 24 * HOUR);
      expect((await tokens.regenerate(registry, issued.id, again)).expiresAt).toEqual(again);
      expect((await tokens.observe(registry, issued.id))?.expiresAt).toEqual(again);
    });
  }

  it('regenerates: same id, new secret, the old one dead at once', async () => {
    const issued = await tokens.issue({ registry, name: 'berth-a', scopes: PULL });
    const regenerated = await tokens.regenerate(registry, issued.id, new Date(now() + HOUR));
    expect(regenerated.id).toBe(issued.id);
    expect(regenerated.login.password).not.toBe(issued.login.password);
    expect(bed.sim.registryAccess.verify('token', issued.login.password)).toBeUndefined();
    expect(bed.sim.registryAccess.verify('token', regenerated.login.password)).toBeDefined();
  });

  it('revokes by deleting, and a second revoke is not an error', async () => {
    const issued = await tokens.issue({ registry, name: 'berth-a', scopes: PULL });
    await tokens.revoke(registry, issued.id);
    await tokens.revoke(registry, issued.id);
    expect(bed.sim.tokens()).toEqual([]);
    expect(bed.sim.registryAccess.verify('token', issued.login.password)).toBeUndefined();
  });

  it('never retries the issuing POST after a 503 or a reset', async () => {
    bed.sim.server.faults.schedule(
      { kind: 'serverError', status: 503 },
      { match: { method: 'POST', path: /\/v2\/tokens$/ } },
    );
    await expect(tokens.issue({ registry, name: 'berth-a', scopes: PULL })).rejects.toBeInstanceOf(
      ServerError,
    );
    expect(creates()).toHaveLength(1);
    bed.sim.server.faults.schedule({ kind: 'reset' }, { match: { method: 'POST', path: /\/v2\/tokens$/ } });
    await expect(tokens.issue({ registry, name: 'berth-a', scopes: PULL })).rejects.toBeInstanceOf(
      ConnectionError,
    );
    expect(creates()).toHaveLength(2);
    expect(bed.sim.tokens()).toEqual([]);
  });

  it('after a lost create response, exactly one token exists and listOwned finds it', async () => {
    bed.sim.server.faults.schedule(
      { kind: 'loseResponse' },
      { match: { method: 'POST', path: /\/v2\/tokens$/ } },
    );
    await expect(tokens.issue({ registry, name: 'berth-shop-pull-1', scopes: PULL })).rejects.toBeInstanceOf(
      ConnectionError,
    );
    expect(creates()).toHaveLength(1);
    expect(bed.sim.tokens()).toHaveLength(1);
    const owned = await tokens.listOwned(registry, 'berth-shop-pull-');
    expect(owned).toHaveLength(1);
    expect(owned[0]).toMatchObject({ name: 'berth-shop-pull-1', enabled: true });
    await tokens.revoke(registry, owned[0]?.id ?? '');
    expect(bed.sim.tokens()).toEqual([]);
  });

  it('never retries regenerate either', async () => {
    const issued = await tokens.issue({ registry, name: 'berth-a', scopes: PULL });
    bed.sim.server.faults.schedule({ kind: 'serverError', status: 502 }, { match: { path: /regenerate$/ } });
    await expect(tokens.regenerate(registry, issued.id)).rejects.toBeInstanceOf(ServerError);
    expect(bed.sim.server.log.filter((e) => e.path.endsWith('/regenerate'))).toHaveLength(1);
  });
});

describe('SelectelTokensV1 (legacy TTL tokens)', () => {
  let v1: SelectelProvider['tokens'];
  beforeEach(() => {
    v1 = bed.provider({ tokenApi: 'v1' }).tokens;
  });

  it('issues 12h tokens for short lifetimes and 1y otherwise, with an id that is not the secret', async () => {
    const short = await v1.issue({
      registry,
      name: 'berth-a',
      scopes: PULL,
      expiresAt: new Date(now() + 6 * HOUR),
    });
    expect(short.login.username).toBe('token');
    expect(short.id).toMatch(/^v1-[0-9a-f]{32}$/);
    expect(short.id).not.toContain(short.login.password);
    expect((short.expiresAt?.getTime() ?? 0) - now()).toBeGreaterThan(11 * HOUR);
    expect((short.expiresAt?.getTime() ?? 0) - now()).toBeLessThanOrEqual(12 * HOUR);
    const long = await v1.issue({
      registry,
      name: 'berth-b',
      scopes: PULL,
      expiresAt: new Date(now() + 720 * HOUR),
    });
    expect((long.expiresAt?.getTime() ?? 0) - now()).toBeGreaterThan(364 * 24 * HOUR);
    expect(bed.sim.registryAccess.verify('token', long.login.password)?.('shop/app')).toEqual([
      'pull',
      'push',
      'delete',
    ]);
  });

  it('observes, lists, extends (same secret) and revokes tokens it issued', async () => {
    const issued = await v1.issue({
      registry,
      name: 'berth-a',
      scopes: PULL,
      expiresAt: new Date(now() + HOUR),
    });
    expect(await v1.observe(registry, issued.id)).toMatchObject({
      id: issued.id,
      name: 'berth-a',
      enabled: true,
    });
    expect((await v1.listOwned(registry, 'berth-')).map((t) => t.id)).toEqual([issued.id]);
    bed.sim.advance(HOUR);
    const extended = await v1.extend?.(registry, issued.id, new Date(now() + 13 * HOUR));
    expect(extended?.expiresAt?.getTime()).toBeGreaterThan(issued.expiresAt?.getTime() ?? 0);
    expect(bed.sim.registryAccess.verify('token', issued.login.password)).toBeDefined();
    await v1.revoke(registry, issued.id);
    await v1.revoke(registry, issued.id);
    expect(bed.sim.registryAccess.verify('token', issued.login.password)).toBeUndefined();
    expect(await v1.observe(registry, issued.id)).toBeUndefined();
  });

  it('keeps the secret out of error contexts although v1 paths carry it', async () => {
    const issued = await v1.issue({ registry, name: 'berth-a', scopes: PULL });
    bed.sim.server.faults.schedule(
      { kind: 'serverError', status: 500 },
      { times: 4, match: { path: /\/v1\/token\// } },
    );
    const err = await v1.observe(registry, issued.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(
      JSON.stringify({ message: (err as Error).message, context: (err as ServerError).context }),
    ).not.toContain(issued.login.password);
    expect((err as ServerError).context.path).toBe('/v1/token/[redacted]');
  });

  it("works with v1 tokens in the reference's UUID form as with craas-go's CRgAAAAA form", async () => {
    bed.sim.state.v1TokenFormat = 'uuid';
    const issued = await v1.issue({ registry, name: 'berth-a', scopes: PULL });
    expect(issued.login.password).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(await v1.observe(registry, issued.id)).toMatchObject({ id: issued.id, enabled: true });
    bed.sim.advance(HOUR);
    const extended = await v1.extend?.(registry, issued.id, new Date(now() + 13 * HOUR));
    expect(extended?.expiresAt?.getTime()).toBeGreaterThan(issued.expiresAt?.getTime() ?? 0);
    await v1.revoke(registry, issued.id);
    expect(bed.sim.registryAccess.verify('token', issued.login.password)).toBeUndefined();
    expect(await v1.observe(registry, issued.id)).toBeUndefined();
  });

  it('knows nothing of tokens issued by another process', async () => {
    expect(await v1.observe(registry, 'v1-0000')).toBeUndefined();
    await v1.revoke(registry, 'v1-0000');
    await expect(v1.extend?.(registry, 'v1-0000', new Date())).rejects.toThrow(/not issued by this process/);
  });
});
