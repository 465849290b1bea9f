import { afterEach, describe, expect, it } from 'vitest';
import { validateRequestAgainstSpec } from '../../../test/support/openapi.ts';
import {
  type IonosHarness,
  recordingDispatcher,
  seededTokenRegistry,
  startIonosHarness,
} from '../../simulators/ionos/harness.ts';
import { ConflictError, ConnectionError, NotFoundError, ServerError } from '../http/errors.ts';
import type { TokenRegistry } from '../provider.ts';

let h: IonosHarness;
afterEach(() => h?.close());

async function setup(options: Parameters<typeof startIonosHarness>[0] = {}) {
  h = await startIonosHarness(options);
  return { ...h, registry: seededTokenRegistry(h.sim, 'shop') };
}

const POST_TOKENS = 'POST /containerregistries/registries/:registryId/tokens';
const pull = [{ repository: 'shop/*', actions: ['pull' as const] }];

function posts(): number {
  return h.sim.server.log.filter((e) => e.route === POST_TOKENS).length;
}

describe('IonosTokens.issue', () => {
  it('returns the docker login once: server = registry host, username = token name', async () => {
    const { provider, registry, sim, redactor } = await setup();
    const expiresAt = new Date(Date.now() + 3_600_000);
    const issued = await provider.tokens.issue({ registry, name: 'berth-pull-1', scopes: pull, expiresAt });
    expect(issued.name).toBe('berth-pull-1');
    expect(issued.login.server).toBe('shop.cr.de-fra.ionos.com');
    expect(issued.login.username).toBe('berth-pull-1');
    expect(issued.login.password.length).toBeGreaterThan(20);
    expect(Math.abs((issued.expiresAt?.getTime() ?? 0) - expiresAt.getTime())).toBeLessThan(1000);
    // The password is scrubbed from anything the client reports from now on.
    expect(redactor.redact(`x ${issued.login.password} y`)).toBe('x [redacted] y');
    // The real registry would accept it for shop/* pulls only.
    const access = sim.registryAccess.verify(issued.login.username, issued.login.password);
    expect(access?.('shop/api')).toEqual(['pull']);
    expect(access?.('other/api')).toEqual([]);
    expect(sim.registryAccess.verify(issued.login.username, 'wrong')).toBeUndefined();
    expect(provider.tokens.renewalModes).toEqual(['Rotate', 'Extend']);
    expect(provider.tokens.expires).toBe(true);
  });

  it('answers ConflictError for a name that exists (a previous attempt committed)', async () => {
    const { provider, registry } = await setup();
    await provider.tokens.issue({ registry, name: 'dup', scopes: pull });
    await expect(provider.tokens.issue({ registry, name: 'dup', scopes: pull })).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('is never retried: one POST on a 503', async () => {
    const { provider, registry, sim, sleeps } = await setup();
    sim.server.faults.schedule({ kind: 'serverError', status: 503 }, { match: { method: 'POST' } });
    await expect(provider.tokens.issue({ registry, name: 'once', scopes: pull })).rejects.toBeInstanceOf(
      ServerError,
    );
    expect(posts()).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('is never retried: one POST on a connection reset', async () => {
    const { provider, registry, sim } = await setup();
    sim.server.faults.schedule({ kind: 'reset' }, { match: { method: 'POST' } });
    await expect(provider.tokens.issue({ registry, name: 'once', scopes: pull })).rejects.toBeInstanceOf(
      ConnectionError,
    );
    expect(posts()).toBe(1);
  });

  it('after a lost response exactly one token exists, and listOwned finds it for clean-up', async () => {
    const { provider, registry, sim } = await setup();
    sim.server.faults.schedule({ kind: 'loseResponse' }, { match: { method: 'POST' } });
    await expect(provider.tokens.issue({ registry, name: 'berth-x-1', scopes: pull })).rejects.toBeInstanceOf(
      ConnectionError,
    );
    expect(posts()).toBe(1);
    expect([...sim.registry(registry.externalId).tokens.values()].map((t) => t.name)).toEqual(['berth-x-1']);
    const owned = await provider.tokens.listOwned(registry, 'berth-x-');
    expect(owned.map((t) => t.name)).toEqual(['berth-x-1']);
    // The secret is lost for good: the recovery is revoke and issue under the next name.
    await provider.tokens.revoke(registry, owned[0]?.id ?? '');
    const next = await provider.tokens.issue({ registry, name: 'berth-x-2', scopes: pull });
    expect(next.login.password).not.toBe('');
  });
});

describe('IonosTokens.observe, listOwned, extend, revoke', () => {
  it('observes without the secret, and an expired token as undefined (IONOS deletes it)', async () => {
    const { provider, registry, sim } = await setup();
    const issued = await provider.tokens.issue({
      registry,
      name: 'short',
      scopes: pull,
      expiresAt: new Date(sim.world.now() + 60_000),
    });
    const observed = await provider.tokens.observe(registry, issued.id);
    expect(observed).toEqual({ id: issued.id, name: 'short', enabled: true, expiresAt: issued.expiresAt });
    sim.advance(60_000);
    expect(await provider.tokens.observe(registry, issued.id)).toBeUndefined();
    expect(sim.registryAccess.verify(issued.login.username, issued.login.password)).toBeUndefined();
  });

  it('reports a disabled token as not enabled', async () => {
    const { provider, registry, sim } = await setup();
    const token = sim.addToken(registry.externalId, { name: 'off', status: 'disabled' });
    expect((await provider.tokens.observe(registry, token.id))?.enabled).toBe(false);
    expect(sim.registryAccess.verify('off', token.password)).toBeUndefined();
  });

  it('lists owned tokens by prefix across three pages', async () => {
    h = await startIonosHarness({ provider: { pageSize: 3 } });
    const registry: TokenRegistry = seededTokenRegistry(h.sim, 'shop');
    for (let i = 0; i < 4; i++) h.sim.addToken(registry.externalId, { name: `berth-a-${i}` });
    for (let i = 0; i < 4; i++) h.sim.addToken(registry.externalId, { name: `someone-${i}` });
    const owned = await h.provider.tokens.listOwned(registry, 'berth-a-');
    expect(owned.map((t) => t.name)).toEqual(['berth-a-0', 'berth-a-1', 'berth-a-2', 'berth-a-3']);
    expect(h.sim.server.counts()['GET /containerregistries/registries/:registryId/tokens']).toBe(3);
  });

  it('extends the expiry keeping the secret (Extend)', async () => {
    const { provider, registry, sim } = await setup();
    const issued = await provider.tokens.issue({
      registry,
      name: 'ext',
      scopes: pull,
      expiresAt: new Date(sim.world.now() + 60_000),
    });
    const later = new Date(sim.world.now() + 7_200_000);
    const extended = await provider.tokens.extend(registry, issued.id, later);
    expect(Math.abs((extended.expiresAt?.getTime() ?? 0) - later.getTime())).toBeLessThan(1000);
    sim.advance(120_000);
    expect(sim.registryAccess.verify('ext', issued.login.password)?.('shop/a')).toEqual(['pull']);
  });

  it('extending a token that already vanished is a NotFoundError (re-issue)', async () => {
    const { provider, registry } = await setup();
    await expect(
      provider.tokens.extend(
        registry,
        '3dfa77b7-db05-4230-8f20-8e762e951953',
        new Date(Date.now() + 7_200_000),
      ),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('revokes idempotently (the second delete meets the bare {msg} 404)', async () => {
    const { provider, registry, sim } = await setup();
    const issued = await provider.tokens.issue({ registry, name: 'bye', scopes: pull });
    await provider.tokens.revoke(registry, issued.id);
    await provider.tokens.revoke(registry, issued.id);
    expect(sim.registry(registry.externalId).tokens.size).toBe(0);
    expect(sim.registryAccess.verify('bye', issued.login.password)).toBeUndefined();
  });
});

describe('IonosTokens request bodies', () => {
  it('sends create and extend bodies the spec accepts', async () => {
    const { dispatcher, sent } = recordingDispatcher();
    const { provider, registry } = await setup({ provider: { dispatcher } });
    const issued = await provider.tokens.issue({
      registry,
      name: 'berth-shop-1',
      scopes: [{ repository: 'shop/*', actions: ['pull', 'push'] }],
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    await provider.tokens.extend(registry, issued.id, new Date(Date.now() + 7_200_000));
    const post = sent.find((r) => r.method === 'POST');
    const patch = sent.find((r) => r.method === 'PATCH');
    expect(post?.body).toMatchObject({
      properties: {
        name: 'berth-shop-1',
        status: 'enabled',
        scopes: [{ name: 'shop/*', type: 'repository' }],
      },
    });
    expect(
      validateRequestAgainstSpec('ionos', 'POST', '/registries/{registryId}/tokens', post?.body),
    ).toEqual([]);
    expect(
      validateRequestAgainstSpec('ionos', 'PATCH', '/registries/{registryId}/tokens/{tokenId}', patch?.body),
    ).toEqual([]);
    await dispatcher.close();
  });
});
