import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type IonosHarness,
  recordingDispatcher,
  startIonosHarness,
} from '../../../test/support/providers/ionos.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../http/errors.ts';

let h: IonosHarness;
beforeEach(async () => {
  h = await startIonosHarness();
});
afterEach(() => h.close());

const count = (route: string) => h.sim.server.counts()[route] ?? 0;

describe('IonosApi: locations and names', () => {
  it('lists location IDs', async () => {
    expect(await h.provider.api.locations()).toEqual(['de/fra', 'de/txl']);
  });

  it('reads HEAD /names: 200 taken, 404 available, 400 invalid', async () => {
    h.sim.addRegistry({ name: 'ours' });
    h.sim.reserveName('someone-elses');
    expect(await h.provider.api.nameStatus('ours')).toBe('taken');
    expect(await h.provider.api.nameStatus('someone-elses')).toBe('taken');
    expect(await h.provider.api.nameStatus('free-name')).toBe('available');
    await expect(h.provider.api.nameStatus('Invalid_Name')).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe('IonosApi: registries', () => {
  it('creates (New, no hostname), reads, replaces, patches and deletes asynchronously', async () => {
    const { api } = h.provider;
    const created = await api.createRegistry({ name: 'shop', location: 'de/fra' });
    expect(created.metadata?.state).toBe('New');
    expect(created.properties.hostname).toBe('');
    h.sim.advance(100);
    const running = await api.getRegistry(created.id);
    expect(running.metadata?.state).toBe('Running');
    expect(running.properties.hostname).toBe('shop.cr.de-fra.ionos.com');

    const schedule = { days: ['Sunday' as const], time: '03:00:00+00:00' };
    const replaced = await api.putRegistry(created.id, {
      name: 'shop',
      location: 'de/fra',
      garbageCollectionSchedule: schedule,
    });
    expect(replaced.properties.garbageCollectionSchedule).toEqual(schedule);
    await expect(api.putRegistry(created.id, { name: 'other', location: 'de/fra' })).rejects.toBeInstanceOf(
      BadRequestError,
    );

    const patched = await api.patchRegistry(created.id, { apiSubnetAllowList: ['10.0.0.0/8'] });
    expect(patched.properties.apiSubnetAllowList).toEqual(['10.0.0.0/8']);
    expect(patched.properties.garbageCollectionSchedule).toEqual(schedule);
    const cleared = await api.patchRegistry(created.id, {
      garbageCollectionSchedule: null,
      apiSubnetAllowList: [],
    });
    expect(cleared.properties.garbageCollectionSchedule).toBeUndefined();
    expect(cleared.properties.apiSubnetAllowList).toEqual([]);

    await api.deleteRegistry(created.id);
    expect((await api.getRegistry(created.id)).metadata?.state).toBe('DESTROYING');
    h.sim.advance(100);
    await expect(api.getRegistry(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('creates under a client-chosen UUID with PUT', async () => {
    const id = randomUUID();
    const created = await h.provider.api.putRegistry(id, { name: 'by-put', location: 'de/txl' });
    expect(created.id).toBe(id);
    expect(h.sim.registry(id).location).toBe('de/txl');
  });

  it('answers 409 for a taken name and 400 for an unknown location', async () => {
    h.sim.addRegistry({ name: 'taken' });
    await expect(h.provider.api.createRegistry({ name: 'taken', location: 'de/fra' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(
      h.provider.api.createRegistry({ name: 'nowhere', location: 'us/las' }),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it('pages with pagination.token across three pages, and filter.name narrows', async () => {
    for (let i = 0; i < 7; i++) h.sim.addRegistry({ name: `team-${i}` });
    h.sim.addRegistry({ name: 'other' });
    const names: string[] = [];
    for await (const r of h.provider.api.registries('team-', 3)) names.push(r.properties.name);
    expect(names.sort()).toEqual(['team-0', 'team-1', 'team-2', 'team-3', 'team-4', 'team-5', 'team-6']);
    expect(count('GET /containerregistries/registries')).toBe(3);

    const first = await h.provider.api.listRegistries({ limit: 8 });
    expect(first.items).toHaveLength(8);
    expect(first.nextToken).toBeUndefined();
  });
});

describe('IonosApi: tokens', () => {
  it('shows the password only in the create response; get, put, patch and delete', async () => {
    const { api } = h.provider;
    const registry = h.sim.addRegistry({ name: 'shop' });
    const scopes = [{ name: 'app', type: 'repository' as const, actions: ['pull'] }];
    const created = await api.createToken(registry.id, { name: 'pull-1', scopes });
    const password = created.properties.credentials?.password ?? '';
    expect(password.length).toBeGreaterThan(20);
    expect(created.properties.credentials?.username).toBe('pull-1');

    const read = await api.getToken(registry.id, created.id);
    expect(read.properties.credentials?.password).toBe('');
    expect(read.properties.scopes).toEqual(scopes);

    const expiry = new Date(Date.now() + 7_200_000);
    const patched = await api.patchToken(registry.id, created.id, {
      expiryDate: expiry.toISOString(),
      status: 'disabled',
    });
    expect(new Date(patched.properties.expiryDate ?? '').getTime()).toBe(
      Math.floor(expiry.getTime() / 1000) * 1000,
    );
    expect(patched.properties.status).toBe('disabled');
    expect(patched.properties.scopes).toEqual(scopes);
    const cleared = await api.patchToken(registry.id, created.id, { expiryDate: null });
    expect(cleared.properties.expiryDate).toBeNull();

    const replaced = await api.putToken(registry.id, created.id, { name: 'pull-1', status: 'enabled' });
    expect(replaced.properties.credentials?.password).toBe('');
    expect(replaced.properties.scopes).toEqual([]);
    await expect(api.putToken(registry.id, created.id, { name: 'renamed' })).rejects.toBeInstanceOf(
      BadRequestError,
    );

    await api.deleteToken(registry.id, created.id);
    await expect(api.getToken(registry.id, created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(api.deleteToken(registry.id, created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('PUT creates a token (with its password once) and 409s on a duplicate name', async () => {
    const registry = h.sim.addRegistry({ name: 'shop' });
    const id = randomUUID();
    const created = await h.provider.api.putToken(registry.id, id, { name: 'by-put' });
    expect(created.id).toBe(id);
    expect(created.properties.credentials?.password).not.toBe('');
    await expect(h.provider.api.createToken(registry.id, { name: 'by-put' })).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('pages tokens with offset/limit across three pages', async () => {
    const registry = h.sim.addRegistry({ name: 'shop' });
    for (let i = 0; i < 7; i++) h.sim.addToken(registry.id, { name: `t-${i}` });
    const names: string[] = [];
    for await (const t of h.provider.api.tokens(registry.id, 3)) names.push(t.properties.name);
    expect(names).toEqual(['t-0', 't-1', 't-2', 't-3', 't-4', 't-5', 't-6']);
    expect(count('GET /containerregistries/registries/:registryId/tokens')).toBe(3);
    const page = await h.provider.api.listTokens(registry.id, { offset: 6, limit: 3 });
    expect(page).toMatchObject({ count: 1, offset: 6, limit: 3, total: 7 });
  });
});

describe('IonosApi: repositories and artifacts', () => {
  it('pages repositories and artifacts across three pages, reads and deletes (nested names encoded)', async () => {
    const registry = h.sim.addRegistry({ name: 'shop' });
    for (let i = 0; i < 7; i++) h.sim.pushArtifact(registry.id, `team/app-${i}`, { tags: [`v${i}`] });
    const repos: string[] = [];
    for await (const r of h.provider.api.repositories(registry.id, 3)) repos.push(r.properties.name);
    expect(repos.sort()).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `team/app-${i}`));
    expect(count('GET /containerregistries/registries/:registryId/repositories')).toBe(3);

    const digests: string[] = [];
    for (let i = 0; i < 7; i++)
      digests.push(h.sim.pushArtifact(registry.id, 'team/big', { tags: [`t${i}`] }));
    const seen: string[] = [];
    for await (const a of h.provider.api.artifacts(registry.id, 'team/big', 3))
      seen.push(a.properties.digest);
    expect(seen.sort()).toEqual([...digests].sort());
    expect(
      count('GET /containerregistries/registries/:registryId/repositories/:repositoryName/artifacts'),
    ).toBe(3);

    const digest = digests[0] ?? '';
    const artifact = await h.provider.api.getArtifact(registry.id, 'team/big', digest);
    expect(artifact.properties).toMatchObject({ digest, tags: ['t0'], repositoryName: 'team/big' });
    const repo = await h.provider.api.getRepository(registry.id, 'team/big');
    expect(repo.metadata?.artifactCount).toBe(7);

    await h.provider.api.deleteRepository(registry.id, 'team/big');
    await expect(h.provider.api.getRepository(registry.id, 'team/big')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('IonosApi: authentication headers', () => {
  it('sends Basic credentials and X-Contract-Number when configured', async () => {
    const { dispatcher, sent } = recordingDispatcher();
    const basic = await startIonosHarness({
      auth: 'basic',
      provider: { contractNumber: '31415', dispatcher },
    });
    try {
      await basic.provider.verifyCredentials();
      expect(sent[0]?.headers['x-contract-number']).toBe('31415');
      expect(sent[0]?.headers.authorization).toMatch(/^Basic /);
    } finally {
      await basic.close();
      await dispatcher.close();
    }
  });
});
