import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rawCall } from './client.ts';
import { IonosSimulator } from './simulator.ts';

let sim: IonosSimulator;
beforeEach(async () => {
  sim = new IonosSimulator({ provisionDelayMs: 1000, deletionDelayMs: 1000, updateDelayMs: 500 });
  await sim.start();
});
afterEach(() => sim.stop());

const call = (method: string, path: string, options?: Parameters<typeof rawCall>[3]) =>
  rawCall(sim, method, path, options);
const errorOf = (status: number) => ({
  httpStatus: status,
  messages: [expect.objectContaining({ errorCode: expect.any(String), message: expect.any(String) })],
});

describe('IonosSimulator authentication', () => {
  it('answers 401 without or with wrong credentials, in the IONOS error shape', async () => {
    for (const auth of [
      null,
      'Bearer wrong',
      `Basic ${Buffer.from('berth@example.com:nope').toString('base64')}`,
    ]) {
      const res = await call('GET', '/registries', { auth });
      expect(res.status).toBe(401);
      expect(res.body).toEqual(errorOf(401));
    }
  });

  it('accepts Basic e-mail:password and Bearer tokens; 403 without the registry privilege', async () => {
    const { username, password } = sim.basicCredentials;
    const basic = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    expect((await call('GET', '/registries', { auth: basic })).status).toBe(200);
    expect((await call('GET', '/registries')).status).toBe(200);
    const viewer = sim.users.find((u) => u.privileged === false);
    const denied = `Basic ${Buffer.from(`${viewer?.email}:${viewer?.password}`).toString('base64')}`;
    const res = await call('GET', '/registries', { auth: denied });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(errorOf(403));
  });

  it('answers unknown routes and unencoded nested repository names with 404', async () => {
    expect((await call('GET', '/nothing')).status).toBe(404);
    const registry = sim.addRegistry({ name: 'shop' });
    sim.pushArtifact(registry.id, 'dev/tests');
    expect((await call('GET', `/registries/${registry.id}/repositories/dev/tests`)).status).toBe(404);
    expect((await call('GET', `/registries/${registry.id}/repositories/dev%2Ftests`)).status).toBe(200);
  });
});

describe('IonosSimulator registries', () => {
  it('provisions New → WaitingForStorage → Running, with hostname "" until Running', async () => {
    const res = await call('POST', '/registries', {
      body: { properties: { name: 'shop', location: 'de/fra' } },
    });
    expect(res.status).toBe(201);
    const created = res.body as {
      id: string;
      href: string;
      metadata: { state: string };
      properties: { hostname: string };
    };
    expect(res.headers.location).toBe(created.href);
    expect(created.metadata.state).toBe('New');
    expect(created.properties.hostname).toBe('');
    sim.advance(600);
    const waiting = (await call('GET', `/registries/${created.id}`)).body as typeof created;
    expect(waiting.metadata.state).toBe('WaitingForStorage');
    expect(waiting.properties.hostname).toBe('');
    sim.advance(400);
    const running = (await call('GET', `/registries/${created.id}`)).body as typeof created;
    expect(running.metadata.state).toBe('Running');
    expect(running.properties.hostname).toBe('shop.cr.de-fra.ionos.com');
  });

  it('reports the registryHost option as hostname, and is BUSY for a while after an update', async () => {
    const local = new IonosSimulator({ registryHost: '127.0.0.1:5000', updateDelayMs: 500 });
    await local.start();
    try {
      const registry = local.addRegistry({ name: 'shop' });
      const patched = await rawCall(local, 'PATCH', `/registries/${registry.id}`, {
        body: { apiSubnetAllowList: ['10.0.0.1'] },
      });
      expect(patched.body).toMatchObject({
        metadata: { state: 'BUSY' },
        properties: { hostname: '127.0.0.1:5000' },
      });
      local.advance(500);
      const read = await rawCall(local, 'GET', `/registries/${registry.id}`);
      expect(read.body).toMatchObject({ metadata: { state: 'Running' } });
    } finally {
      await local.stop();
    }
  });

  it('deletes asynchronously: 204, DESTROYING, then 404 (tokens go with it)', async () => {
    const registry = sim.addRegistry({ name: 'shop' });
    const token = sim.addToken(registry.id, { name: 'pull' });
    expect((await call('DELETE', `/registries/${registry.id}`)).status).toBe(204);
    expect((await call('GET', `/registries/${registry.id}`)).body).toMatchObject({
      metadata: { state: 'DESTROYING' },
    });
    expect(sim.registryAccess.verify('pull', token.password)).toBeUndefined();
    expect((await call('DELETE', `/registries/${registry.id}`)).status).toBe(204);
    sim.advance(1000);
    const gone = await call('GET', `/registries/${registry.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual(errorOf(404));
    expect((await call('HEAD', '/names/shop')).status).toBe(404);
  });

  it('HEAD /names: 200 taken (ours or anyone’s), 404 free, 400 invalid, no body', async () => {
    sim.addRegistry({ name: 'ours' });
    sim.reserveName('theirs');
    expect((await call('HEAD', '/names/ours')).status).toBe(200);
    expect((await call('HEAD', '/names/theirs')).status).toBe(200);
    expect((await call('HEAD', '/names/free')).status).toBe(404);
    expect((await call('HEAD', '/names/No_Way')).status).toBe(400);
  });

  it('validates: name pattern, location, immutable name, scanning cannot be disabled, paging params', async () => {
    expect(
      (await call('POST', '/registries', { body: { properties: { name: 'x', location: 'de/fra' } } })).status,
    ).toBe(400);
    expect(
      (await call('POST', '/registries', { body: { properties: { name: 'shop', location: 'xx/yyy' } } }))
        .status,
    ).toBe(400);
    const registry = sim.addRegistry({ name: 'shop', scanning: true });
    const disable = { features: { vulnerabilityScanning: { enabled: false } } };
    expect((await call('PATCH', `/registries/${registry.id}`, { body: disable })).status).toBe(400);
    const rename = { properties: { name: 'other', location: 'de/fra' } };
    expect((await call('PUT', `/registries/${registry.id}`, { body: rename })).status).toBe(400);
    expect(
      (await call('PATCH', `/registries/${registry.id}`, { body: { apiSubnetAllowList: ['nope'] } })).status,
    ).toBe(400);
    expect((await call('GET', '/registries?limit=abc')).status).toBe(400);
    expect((await call('GET', '/registries?pagination.token=%%%')).status).toBe(400);
    expect((await call('GET', '/registries/not-a-uuid')).status).toBe(400);
  });

  it('pages registries with a Kubernetes-style continue token, empty on the last page', async () => {
    for (let i = 0; i < 5; i++) sim.addRegistry({ name: `reg-${i}` });
    const first = (await call('GET', '/registries?limit=2')).body as {
      pagination: { token: string };
      items: unknown[];
    };
    expect(first.items).toHaveLength(2);
    const decoded = JSON.parse(Buffer.from(first.pagination.token, 'base64').toString('utf8'));
    expect(decoded.v).toBe('meta.k8s.io/v1');
    expect(decoded.start.endsWith('\u0000')).toBe(true);
    const second = (await call('GET', `/registries?limit=2&pagination.token=${first.pagination.token}`))
      .body as typeof first;
    const third = (await call('GET', `/registries?limit=2&pagination.token=${second.pagination.token}`))
      .body as typeof first;
    expect(third.items).toHaveLength(1);
    expect(third.pagination.token).toBe('');
  });
});

describe('IonosSimulator tokens', () => {
  it('shows the password only in the creating response (POST or PUT), never on GET or list', async () => {
    const registry = sim.addRegistry({ name: 'shop' });
    const base = `/registries/${registry.id}/tokens`;
    const expiryDate = new Date(Date.now() + 7_200_000).toISOString();
    const posted = await call('POST', base, { body: { properties: { name: 'pull', expiryDate } } });
    expect(posted.status).toBe(201);
    const token = posted.body as {
      id: string;
      properties: { credentials: { username: string; password: string } };
    };
    expect(token.properties.credentials.username).toBe('pull');
    expect(token.properties.credentials.password).toHaveLength(40);
    const got = (await call('GET', `${base}/${token.id}`)).body as typeof token;
    expect(got.properties.credentials.password).toBe('');
    const list = (await call('GET', base)).body as { items: (typeof token)[] };
    expect(list.items.map((t) => t.properties.credentials.password)).toEqual(['']);
    expect(posted.text.includes(token.properties.credentials.password)).toBe(true);
    expect((await call('GET', base)).text.includes(token.properties.credentials.password)).toBe(false);

    const id = randomUUID();
    const putCreate = (await call('PUT', `${base}/${id}`, { body: { properties: { name: 'by-put' } } }))
      .body as typeof token;
    expect(putCreate.properties.credentials.password).not.toBe('');
    const putReplace = await call('PUT', `${base}/${id}`, {
      body: { properties: { name: 'by-put', status: 'disabled' } },
    });
    expect(putReplace.status).toBe(201);
    expect((putReplace.body as typeof token).properties.credentials.password).toBe('');
  });

  it('409s on a duplicate name; 400 for an expiry under an hour by default; deletes expired tokens', async () => {
    const registry = sim.addRegistry({ name: 'shop' });
    const base = `/registries/${registry.id}/tokens`;
    await call('POST', base, { body: { properties: { name: 'dup' } } });
    const dup = await call('POST', base, { body: { properties: { name: 'dup' } } });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual(errorOf(409));
    const soon = new Date(Date.now() + 60_000).toISOString();
    expect(
      (await call('POST', base, { body: { properties: { name: 'soon', expiryDate: soon } } })).status,
    ).toBe(400);

    const later = new Date(sim.world.now() + 3_600_000 + 5000).toISOString();
    const created = (await call('POST', base, { body: { properties: { name: 'later', expiryDate: later } } }))
      .body as {
      id: string;
    };
    sim.advance(3_600_000 + 5000);
    expect((await call('GET', `${base}/${created.id}`)).status).toBe(404);
    const deleted = await call('DELETE', `${base}/${created.id}`);
    expect(deleted.status).toBe(404);
    expect(deleted.body).toEqual({ msg: 'Not Found' });
  });

  it('PATCH sets only what it is given; null clears the expiry; bad values are 400', async () => {
    const registry = sim.addRegistry({ name: 'shop' });
    const token = sim.addToken(registry.id, { name: 'pull', expiresAt: new Date(Date.now() + 86_400_000) });
    const path = `/registries/${registry.id}/tokens/${token.id}`;
    const scopes = [{ name: 'app', type: 'repository', actions: ['pull', 'push'] }];
    const patched = await call('PATCH', path, { body: { scopes } });
    expect(patched.body).toMatchObject({
      properties: { scopes, status: 'enabled', expiryDate: expect.any(String) },
    });
    const cleared = await call('PATCH', path, { body: { expiryDate: null, status: 'disabled' } });
    expect(cleared.body).toMatchObject({
      metadata: { state: 'disabled' },
      properties: { expiryDate: null, status: 'disabled' },
    });
    expect((await call('PATCH', path, { body: { status: 'paused' } })).status).toBe(400);
    expect(
      (await call('PATCH', path, { body: { scopes: [{ name: '*', type: 'repository', actions: ['fly'] }] } }))
        .status,
    ).toBe(400);
  });
});

describe('IonosSimulator registry access (docker login)', () => {
  it('allows the scoped actions of an enabled, unexpired token; refuses anything else', async () => {
    const registry = sim.addRegistry({ name: 'shop' });
    const token = sim.addToken(registry.id, {
      name: 'ci',
      expiresAt: new Date(sim.world.now() + 10_000),
      scopes: [
        { name: 'shop/*', type: 'repository', actions: ['pull', 'push'] },
        { name: 'base', type: 'repository', actions: ['pull'] },
        { name: '*', type: 'registry', actions: ['pull'] },
      ],
    });
    const access = sim.registryAccess.verify('ci', token.password);
    expect(access?.('shop/api')).toEqual(['pull', 'push']);
    expect(access?.('base')).toEqual(['pull']);
    expect(access?.('other')).toEqual([]);
    expect(sim.registryAccess.verify('ci', `${token.password}x`)).toBeUndefined();
    expect(sim.registryAccess.verify('someone', token.password)).toBeUndefined();
    sim.advance(10_000);
    expect(sim.registryAccess.verify('ci', token.password)).toBeUndefined();
  });
});
