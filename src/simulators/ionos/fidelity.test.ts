import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateAgainstSpec } from '../../../test/support/openapi.ts';
import { recorded } from '../../../test/support/providers/ionos.ts';
import { type RawAnswer, rawCall } from './client.ts';
import { IonosSimulator } from './simulator.ts';
import type { SimRegistry } from './state.ts';

// Fidelity: every simulated response the 1.0 spec describes is checked against it; the 1.1+
// shapes (and the seed examples) are compared key by key with the recorded bodies in testdata/.
let sim: IonosSimulator;
let registry: SimRegistry;
let digest: string;
const expiryDate = () => new Date(Date.now() + 7_200_000).toISOString();

beforeAll(async () => {
  sim = new IonosSimulator({ provisionDelayMs: 0 });
  await sim.start();
  registry = sim.addRegistry({ name: 'my-registry', gc: { days: ['Monday'], time: '01:23:00+00:00' } });
  registry.allowList = ['123.123.123.0/24'];
  sim.addToken(registry.id, { name: 'seeded', expiresAt: new Date(Date.now() + 86_400_000) });
  digest = sim.pushArtifact(registry.id, 'my-service', { tags: ['latest', 'v1.2.3'] });
  sim.recordPull(registry.id, 'my-service', digest);
});
afterAll(() => sim.stop());

const call = (method: string, path: string, body?: unknown) => rawCall(sim, method, path, { body });

function valid(method: string, template: string, res: RawAnswer): void {
  expect(validateAgainstSpec('ionos', method, template, res.status, res.body)).toEqual([]);
}

describe('simulator responses against the IONOS 1.0 spec', () => {
  it('locations and registries (list, get, post, put, patch) and their errors', async () => {
    valid('GET', '/locations', await call('GET', '/locations'));
    valid('GET', '/registries', await call('GET', '/registries?limit=1'));
    valid('GET', '/registries', await call('GET', '/registries'));
    valid('GET', '/registries', await call('GET', '/registries?limit=-1'));
    valid('GET', '/registries/{registryId}', await call('GET', `/registries/${registry.id}`));
    valid('GET', '/registries/{registryId}', await call('GET', `/registries/${randomUUID()}`));
    valid('GET', '/registries/{registryId}', await call('GET', '/registries/nope'));

    const post = await call('POST', '/registries', {
      properties: { name: 'spec-check', location: 'de/fra' },
    });
    expect(post.status).toBe(201);
    valid('POST', '/registries', post);
    valid(
      'POST',
      '/registries',
      await call('POST', '/registries', { properties: { name: 'x', location: 'de/fra' } }),
    );

    const id = randomUUID();
    const put = await call('PUT', `/registries/${id}`, {
      properties: { name: 'spec-put', location: 'de/txl' },
    });
    valid('PUT', '/registries/{registryId}', put);
    const replace = {
      properties: {
        name: 'spec-put',
        location: 'de/txl',
        garbageCollectionSchedule: { days: ['Friday'], time: '02:00:00+00:00' },
      },
    };
    valid('PUT', '/registries/{registryId}', await call('PUT', `/registries/${id}`, replace));
    valid(
      'PUT',
      '/registries/{registryId}',
      await call('PUT', `/registries/${id}`, { properties: { name: 'renamed', location: 'de/txl' } }),
    );

    const patch = { garbageCollectionSchedule: { days: ['Sunday'], time: '03:00:00+00:00' } };
    valid('PATCH', '/registries/{registryId}', await call('PATCH', `/registries/${id}`, patch));
    valid(
      'PATCH',
      '/registries/{registryId}',
      await call('PATCH', `/registries/${id}`, {
        garbageCollectionSchedule: { days: ['Someday'], time: 'x' },
      }),
    );
    valid('DELETE', '/registries/{registryId}', await call('DELETE', '/registries/not-a-uuid'));
  });

  it('tokens (list, get, post, put, patch) and their errors', async () => {
    const base = `/registries/${registry.id}/tokens`;
    const scopes = [{ name: '*', type: 'repository', actions: ['pull', 'push', 'delete'] }];
    const post = await call('POST', base, {
      properties: { name: 'spec-token', expiryDate: expiryDate(), scopes },
    });
    expect(post.status).toBe(201);
    valid('POST', '/registries/{registryId}/tokens', post);
    valid(
      'POST',
      '/registries/{registryId}/tokens',
      await call('POST', base, { properties: { name: 'spec-token' } }),
    );
    valid(
      'POST',
      '/registries/{registryId}/tokens',
      await call('POST', base, { properties: { name: '-bad' } }),
    );

    valid('GET', '/registries/{registryId}/tokens', await call('GET', base));
    valid('GET', '/registries/{registryId}/tokens', await call('GET', `${base}?offset=1&limit=1`));
    valid('GET', '/registries/{registryId}/tokens', await call('GET', `${base}?offset=x`));

    const { id } = post.body as { id: string };
    valid('GET', '/registries/{registryId}/tokens/{tokenId}', await call('GET', `${base}/${id}`));
    valid('GET', '/registries/{registryId}/tokens/{tokenId}', await call('GET', `${base}/${randomUUID()}`));
    valid(
      'PATCH',
      '/registries/{registryId}/tokens/{tokenId}',
      await call('PATCH', `${base}/${id}`, { status: 'disabled' }),
    );
    valid(
      'PATCH',
      '/registries/{registryId}/tokens/{tokenId}',
      await call('PATCH', `${base}/${id}`, { expiryDate: 'soon' }),
    );

    const putId = randomUUID();
    valid(
      'PUT',
      '/registries/{registryId}/tokens/{tokenId}',
      await call('PUT', `${base}/${putId}`, { properties: { name: 'spec-put' } }),
    );
    valid(
      'PUT',
      '/registries/{registryId}/tokens/{tokenId}',
      await call('PUT', `${base}/${putId}`, { properties: { name: 'spec-put', scopes } }),
    );
    valid(
      'PUT',
      '/registries/{registryId}/tokens/{tokenId}',
      await call('PUT', `${base}/${randomUUID()}`, { properties: { name: 'spec-put' } }),
    );
    valid('DELETE', '/registries/{registryId}/tokens/{tokenId}', await call('DELETE', `${base}/not-a-uuid`));
  });
});

/** The key structure of a JSON value: objects by sorted keys, arrays by their first element. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shape(value[0])] : [];
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, shape((value as Record<string, unknown>)[k])]),
    );
  }
  return 'value';
}

describe('simulator responses have the shapes of the recorded examples', () => {
  it.each([
    ['registry.json', () => `/registries/${registry.id}`],
    ['registries-list.json', () => '/registries?limit=1&filter.name=my-registry'],
    ['tokens-list.json', () => `/registries/${registry.id}/tokens?limit=1`],
    ['locations.json', () => '/locations'],
    ['repository.json', () => `/registries/${registry.id}/repositories/my-service`],
    ['repositories-list.json', () => `/registries/${registry.id}/repositories`],
    ['artifact.json', () => `/registries/${registry.id}/repositories/my-service/artifacts/${digest}`],
    ['artifacts-list.json', () => `/registries/${registry.id}/repositories/my-service/artifacts`],
  ])('%s', async (file, path) => {
    const res = await call('GET', path());
    expect(res.status).toBe(200);
    expect(shape(res.body)).toEqual(shape(recorded(file)));
  });

  it('token.json and token-create-response.json', async () => {
    const base = `/registries/${registry.id}/tokens`;
    const scopes = [{ name: '*', type: 'repository', actions: ['pull'] }];
    const created = await call('POST', base, {
      properties: { name: 'shape', expiryDate: expiryDate(), scopes },
    });
    expect(shape(created.body)).toEqual(shape(recorded('token-create-response.json')));
    const got = await call('GET', `${base}/${(created.body as { id: string }).id}`);
    expect(shape(got.body)).toEqual(shape(recorded('token.json')));
  });

  it('error.json', async () => {
    const res = await call('GET', `/registries/${randomUUID()}`);
    expect(shape(res.body)).toEqual(shape(recorded('error.json')));
  });
});

describe('simulator behaviour the notes describe (shared/providers/ionos.md)', () => {
  it('"treats the generic IONOS failure states `FAILED`, `FAILED_SUSPENDED`, `FAILED_UPDATING`, `FAILED_DESTROYING` as errors": a failed registry reports its state in the spec shape until repaired', async () => {
    const failing = sim.addRegistry({ name: 'failing-registry' });
    for (const state of ['FAILED', 'FAILED_SUSPENDED', 'FAILED_UPDATING', 'FAILED_DESTROYING']) {
      sim.failRegistry(failing.id, state);
      const res = await call('GET', `/registries/${failing.id}`);
      valid('GET', '/registries/{registryId}', res);
      expect((res.body as { metadata: { state: string } }).metadata.state).toBe(state);
    }
    sim.recoverRegistry(failing.id);
    const repaired = await call('GET', `/registries/${failing.id}`);
    expect((repaired.body as { metadata: { state: string } }).metadata.state).toBe('Running');
  });

  it('"`scopes` replaces the whole list" on a token PATCH; omitted fields (expiry, status) stay', async () => {
    const base = `/registries/${registry.id}/tokens`;
    const created = await call('POST', base, {
      properties: {
        name: 'patch-scopes',
        expiryDate: expiryDate(),
        scopes: [
          { name: 'a', type: 'repository', actions: ['pull'] },
          { name: 'b', type: 'repository', actions: ['pull', 'push'] },
        ],
      },
    });
    const { id, properties } = created.body as { id: string; properties: { expiryDate: string } };
    const patched = await call('PATCH', `${base}/${id}`, {
      scopes: [{ name: 'c', type: 'repository', actions: ['delete'] }],
    });
    valid('PATCH', '/registries/{registryId}/tokens/{tokenId}', patched);
    expect(patched.body).toMatchObject({
      properties: {
        scopes: [{ name: 'c', type: 'repository', actions: ['delete'] }],
        expiryDate: properties.expiryDate,
        status: 'enabled',
      },
    });
  });

  it('"The DCD docs say expiry must be ≥1 h in the future": by default a token expiring in 59 minutes is refused', async () => {
    const base = `/registries/${registry.id}/tokens`;
    const soon = new Date(Date.now() + 59 * 60_000).toISOString();
    const refused = await call('POST', base, { properties: { name: 'too-soon', expiryDate: soon } });
    expect(refused.status).toBe(400);
    valid('POST', '/registries/{registryId}/tokens', refused);
  });
});
