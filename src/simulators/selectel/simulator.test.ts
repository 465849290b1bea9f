import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
  TEST_USER,
} from '../../../test/support/providers/selectel.ts';

const testdata = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../clients/selectel/testdata/${name}.json`, import.meta.url), 'utf8'));

/** The structure of a JSON value: key sets and value types, arrays by their first element. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? ['empty'] : [shapeOf(value[0])];
  if (value === null) return 'null';
  if (typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]),
    );
  return typeof value;
}

let bed: SelectelTestBed;
let token: string;

async function call(method: string, path: string, body?: unknown, auth: string | null = token) {
  const res = await fetch(bed.sim.url + path, {
    method,
    headers: {
      ...(auth ? { 'x-auth-token': auth } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

beforeAll(async () => {
  bed = await startSelectelTestBed();
});
afterAll(() => bed.stop());
beforeEach(() => {
  bed.sim.state.registries.clear();
  bed.sim.state.tokensV2.clear();
  bed.sim.state.tokensV1.clear();
  bed.sim.server.faults.clear();
  token = bed.sim.issueIamToken(TEST_PROJECT);
});

describe('SelectelSimulator fidelity to the seed samples', () => {
  it('answers registry endpoints in the seed shapes', async () => {
    const created = await call('POST', '/api/v1/registries', { name: 'shop' });
    expect(created.status).toBe(201);
    expect(shapeOf(created.body)).toEqual(shapeOf(testdata('registry')));
    expect((created.body as { status: string }).status).toBe('CREATING');
    const id = (created.body as { id: string }).id;
    expect(shapeOf((await call('GET', `/api/v1/registries/${id}`)).body)).toEqual(
      shapeOf(testdata('registry')),
    );
    expect(shapeOf((await call('GET', '/api/v1/registries')).body)).toEqual(
      shapeOf(testdata('registries-v1')),
    );
    expect(shapeOf((await call('GET', '/api/v2/registries')).body)).toEqual(
      shapeOf(testdata('registries-v2')),
    );
  });

  it('answers repository, image, cleanup and GC endpoints in the seed shapes', async () => {
    const registry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const keep = bed.sim.addImage(registry.id, 'app', { tags: ['v1.0', 'latest'] });
    const locked = bed.sim.addImage(registry.id, 'app', {
      tags: ['tag1', 'tag2'],
      lockedBy: 'Image is referenced by another manifest',
    });
    const base = `/api/v1/registries/${registry.id}`;
    expect(shapeOf((await call('GET', `${base}/repositories`)).body)).toEqual(
      shapeOf(testdata('repositories-v1')),
    );
    expect(shapeOf((await call('GET', `${base}/repositories/app`)).body)).toEqual(
      shapeOf(testdata('repository')),
    );
    expect(shapeOf((await call('GET', `/api/v2/registries/${registry.id}/repositories`)).body)).toEqual(
      shapeOf(testdata('repositories-v2')),
    );
    expect(shapeOf((await call('GET', `${base}/repositories/app/images`)).body)).toEqual(
      shapeOf(testdata('images-v1')),
    );
    expect(
      shapeOf((await call('GET', `/api/v2/registries/${registry.id}/repositories/app/images`)).body),
    ).toEqual(shapeOf(testdata('images-v2')));
    // "List layers" answers the layer array craas-go decodes, not the seed's Image sample.
    expect(shapeOf((await call('GET', `${base}/repositories/app/${keep.digest}`)).body)).toEqual(
      shapeOf((testdata('image') as { layers: unknown }).layers),
    );
    expect(shapeOf((await call('GET', `${base}/garbage-collection/size`)).body)).toEqual(
      shapeOf(testdata('gc-size')),
    );

    const cleanup = await call('POST', `${base}/repositories/app/cleanup`, {
      digests: [keep.digest, locked.digest],
      tags: [],
      disable_gc: true,
    });
    expect(cleanup.status).toBe(200);
    expect(shapeOf(cleanup.body)).toEqual(shapeOf(testdata('cleanup')));
    expect(cleanup.body).toEqual({
      deleted: [{ digest: keep.digest, tags: ['v1.0', 'latest'] }],
      failed: [
        { digest: locked.digest, error: 'Image is referenced by another manifest', tags: ['tag1', 'tag2'] },
      ],
    });
  });

  /**
   * A seed request with its fixed expiry moved 30 days ahead of now: the simulator refuses one in
   * the past, as Selectel does, and the samples' dates (2029, 2030) pass.
   */
  const ahead = (sample: unknown): Record<string, unknown> => {
    const request = structuredClone(sample) as { expiration: { expiresAt: string } };
    request.expiration.expiresAt = new Date(Date.now() + 30 * 86_400_000)
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    return request;
  };

  it('answers token endpoints in the seed shapes, with the secret only on create and regenerate', async () => {
    const registry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const request = ahead(testdata('token-v2-create-request')) as unknown as {
      scope: { registryIds: string[] };
    };
    request.scope.registryIds = [registry.id];
    const created = await call('POST', '/api/v2/tokens', request);
    expect(created.status).toBe(201);
    expect(shapeOf(created.body)).toEqual(shapeOf(testdata('token-v2-created')));
    const { id, token: secret } = created.body as { id: string; token: string };
    expect(bed.sim.registryAccess.verify('token', secret)).toBeDefined(); // sets lastUsedAt

    const got = await call('GET', `/api/v2/tokens/${id}`);
    expect(shapeOf(got.body)).toEqual(shapeOf(testdata('token-v2')));
    expect(JSON.stringify(got.body)).not.toContain(secret);
    const list = await call('GET', '/api/v2/tokens');
    expect(shapeOf(list.body)).toEqual(shapeOf(testdata('tokens-v2')));
    expect(JSON.stringify(list.body)).not.toContain(secret);

    const update = testdata('token-v2-update-request') as { scope: { registryIds: string[] } };
    update.scope.registryIds = [registry.id];
    const patched = await call('PATCH', `/api/v2/tokens/${id}`, update);
    expect(shapeOf(patched.body)).toEqual(shapeOf(testdata('token-v2')));
    expect((patched.body as { name: string }).name).toBe('my-new-token');

    const refreshed = await call(
      'POST',
      `/api/v2/tokens/${id}/refresh`,
      ahead(testdata('token-v2-refresh-request')),
    );
    expect(shapeOf(refreshed.body)).toEqual(shapeOf(testdata('token-v2')));
    expect(bed.sim.registryAccess.verify('token', secret)).toBeDefined();

    const regenerated = await call(
      'POST',
      `/api/v2/tokens/${id}/regenerate`,
      ahead(testdata('token-v2-refresh-request')),
    );
    expect(shapeOf(regenerated.body)).toEqual(shapeOf(testdata('token-v2-regenerated')));
    const fresh = (regenerated.body as { token: string; id: string }).token;
    expect((regenerated.body as { id: string }).id).toBe(id);
    expect(fresh).not.toBe(secret);
    expect(bed.sim.registryAccess.verify('token', secret)).toBeUndefined();
    expect(bed.sim.registryAccess.verify('token', fresh)).toBeDefined();

    const v1 = await call('POST', '/api/v1/token?ttl=12h');
    expect(v1.status).toBe(201);
    expect(shapeOf(v1.body)).toEqual(shapeOf(testdata('token-v1')));
    expect((v1.body as { expireIn: number }).expireIn).toBe(43_200);
  });

  it('uses the seed error bodies and statuses', async () => {
    const errors = testdata('errors') as Record<string, unknown>;
    const missing = await call('GET', '/api/v1/registries/nope');
    expect([missing.status, missing.body]).toEqual([404, errors.registryNotFound]);
    const noToken = await call('GET', '/api/v2/tokens/nope');
    expect([noToken.status, noToken.body]).toEqual([404, errors.tokenNotFound]);
    const malformed = await call('DELETE', '/api/v1/token/not-a-token');
    expect([malformed.status, malformed.body]).toEqual([400, errors.malformedToken]);
    bed.sim.server.faults.schedule({ kind: 'serverError', status: 500 });
    const failed = await call('GET', '/api/v1/registries');
    expect([failed.status, failed.body]).toEqual([500, errors.serverError]);
  });
});

describe('SelectelSimulator behaviour', () => {
  it('requires a live project-scoped IAM token from the identity endpoint', async () => {
    expect((await call('GET', '/api/v1/registries', undefined, null)).status).toBe(401);
    expect((await call('GET', '/api/v1/registries', undefined, 'gAAAAABforged')).status).toBe(401);

    const login = (password: string, project = TEST_PROJECT) =>
      call(
        'POST',
        '/identity/v3/auth/tokens',
        {
          auth: {
            identity: {
              methods: ['password'],
              password: {
                user: { name: TEST_USER.username, domain: { name: TEST_USER.accountId }, password },
              },
            },
            scope: { project: { id: project } },
          },
        },
        null,
      );
    const wrong = await login('wrong');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({
      error: {
        code: 401,
        title: 'Unauthorized',
        message: 'The request you have made requires authentication.',
      },
    });
    expect((await login(TEST_USER.password, 'ffffffffffffffffffffffffffffffff')).status).toBe(401);
    const ok = await login(TEST_USER.password);
    expect(ok.status).toBe(201);
    const iam = ok.headers.get('x-subject-token') ?? '';
    expect((ok.body as { token: { project: { id: string } } }).token.project.id).toBe(TEST_PROJECT);
    expect((await call('GET', '/api/v1/registries', undefined, iam)).status).toBe(204);
    bed.sim.advance(24 * 3_600_000);
    expect((await call('GET', '/api/v1/registries', undefined, iam)).status).toBe(401);
  });

  it('answers 403 to readers that try to change something', async () => {
    const reader = bed.sim.issueIamToken(TEST_PROJECT, 'reader');
    expect((await call('GET', '/api/v1/registries', undefined, reader)).status).toBe(204);
    const denied = await call('POST', '/api/v1/registries', { name: 'shop' }, reader);
    expect([denied.status, denied.body]).toEqual([403, { error: 'Forbidden.' }]);
  });

  it('provisions and deletes registries asynchronously, keeps projects apart, and rejects clashes', async () => {
    const created = (await call('POST', '/api/v1/registries', { name: 'shop' })).body as { id: string };
    expect((await call('POST', '/api/v1/registries', { name: 'shop' })).status).toBe(409);
    expect((await call('POST', '/api/v1/registries', { name: 'Bad_Name' })).status).toBe(400);
    bed.sim.advance(60);
    expect(((await call('GET', `/api/v1/registries/${created.id}`)).body as { status: string }).status).toBe(
      'ACTIVE',
    );
    const other = bed.sim.issueIamToken('fedcba9876543210fedcba9876543210');
    expect((await call('GET', `/api/v1/registries/${created.id}`, undefined, other)).status).toBe(404);
    expect((await call('DELETE', `/api/v1/registries/${created.id}`)).status).toBe(204);
    expect(((await call('GET', `/api/v1/registries/${created.id}`)).body as { status: string }).status).toBe(
      'DELETING',
    );
    bed.sim.advance(60);
    expect((await call('GET', `/api/v1/registries/${created.id}`)).status).toBe(404);
  });

  it('answers 409 to deletes and a second collection while garbage collection runs', async () => {
    const registry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const image = bed.sim.addImage(registry.id, 'app', { tags: [], size: 1000 });
    const base = `/api/v1/registries/${registry.id}`;
    expect((await call('GET', `${base}/garbage-collection/size`)).body).toEqual({
      sizeNonReferenced: 0,
      sizeSummary: 1000,
      sizeUntagged: 1000,
    });
    expect((await call('POST', `${base}/garbage-collection?delete-untagged=true`)).status).toBe(201);
    expect((await call('POST', `${base}/garbage-collection`)).status).toBe(409);
    expect((await call('DELETE', `${base}/repositories/app/${image.digest}`)).status).toBe(409);
    expect((await call('POST', `${base}/repositories/app/cleanup`, { tags: ['x'] })).status).toBe(409);
    bed.sim.finishProcesses();
    expect(bed.sim.registry(registry.id)?.status).toBe('ACTIVE');
    expect(bed.sim.registry(registry.id)?.repositories.get('app')?.images).toEqual([]);
  });

  it('starts a collection after a cleanup unless disable_gc is set', async () => {
    const registry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    bed.sim.addImage(registry.id, 'app', { tags: ['a'] });
    bed.sim.addImage(registry.id, 'app', { tags: ['b'] });
    const base = `/api/v1/registries/${registry.id}/repositories/app/cleanup`;
    await call('POST', base, { tags: ['a'], disable_gc: true });
    expect(bed.sim.registry(registry.id)?.status).toBe('ACTIVE');
    const result = await call('POST', base, { tags: ['b', 'missing'] });
    expect((result.body as { failed: { error: string }[] }).failed[0]?.error).toBe('Tag not found.');
    expect(bed.sim.registry(registry.id)?.status).toBe('GARBAGE_COLLECTION');
  });

  it('pages with limit (default 10) and offset, sorts, and answers 204 for empty v1 lists', async () => {
    for (let i = 0; i < 12; i++) bed.sim.addRegistry(TEST_PROJECT, `reg-${String(i).padStart(2, '0')}`);
    const first = (await call('GET', '/api/v1/registries')).body as { name: string }[];
    expect(first).toHaveLength(10);
    const desc = (await call('GET', '/api/v1/registries?limit=3&sort_type=desc')).body as { name: string }[];
    expect(desc.map((r) => r.name)).toEqual(['reg-11', 'reg-10', 'reg-09']);
    const v2 = (await call('GET', '/api/v2/registries?limit=5&offset=10')).body as {
      registries: unknown[];
      totalCount: number;
    };
    expect([v2.registries.length, v2.totalCount]).toEqual([2, 12]);
    expect((await call('GET', '/api/v1/registries?offset=20')).status).toBe(204);
    expect((await call('GET', '/api/v1/registries?limit=-1')).status).toBe(400);
    expect((await call('GET', '/api/v1/registries?sort_field=colour')).status).toBe(400);
  });

  it('expires v2 tokens by their expiration and moves it on refresh with the same secret', async () => {
    const registry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const soon = new Date(bed.sim.state.now() + 1000).toISOString();
    const created = (
      await call('POST', '/api/v2/tokens', {
        name: 'pull',
        scope: { allRegistries: false, modeRW: false, registryIds: [registry.id] },
        expiration: { isSet: true, expiresAt: soon },
      })
    ).body as { id: string; token: string };
    expect(bed.sim.registryAccess.verify('token', created.token)?.('shop/app')).toEqual(['pull']);
    expect(bed.sim.registryAccess.verify('token', created.token)?.('other/app')).toEqual([]);
    bed.sim.advance(2000);
    expect(bed.sim.tokens()[0]?.status).toBe('expired');
    expect(bed.sim.registryAccess.verify('token', created.token)).toBeUndefined();
    const later = new Date(bed.sim.state.now() + 3_600_000).toISOString();
    await call('POST', `/api/v2/tokens/${created.id}/refresh`, {
      expiration: { isSet: true, expiresAt: later },
    });
    expect(bed.sim.registryAccess.verify('token', created.token)).toBeDefined();
    await call('POST', `/api/v2/tokens/${created.id}/revoke`);
    expect(bed.sim.tokens()[0]?.status).toBe('revoked');
    expect(bed.sim.registryAccess.verify('token', created.token)).toBeUndefined();
    expect(bed.sim.registryAccess.verify('robot', created.token)).toBeUndefined();
  });

  it('keeps v1 tokens project-wide with 12h/1y TTLs; refresh keeps the token', async () => {
    bed.sim.addRegistry(TEST_PROJECT, 'shop');
    expect((await call('POST', '/api/v1/token?ttl=30d')).status).toBe(400);
    const created = (await call('POST', '/api/v1/token?ttl=1y')).body as { token: string; expireAt: number };
    expect(created.token).toMatch(/^CRgAAAAA/);
    expect(bed.sim.registryAccess.verify('token', created.token)?.('shop/app')).toEqual([
      'pull',
      'push',
      'delete',
    ]);
    bed.sim.advance(10_000);
    const refreshed = (await call('POST', `/api/v1/token/${created.token}/refresh`)).body as typeof created;
    expect(refreshed.token).toBe(created.token);
    expect(refreshed.expireAt).toBeGreaterThan(created.expireAt);
    expect((await call('DELETE', `/api/v1/token/${created.token}`)).status).toBe(204);
    expect((await call('GET', `/api/v1/token/${created.token}`)).status).toBe(404);
    expect(bed.sim.registryAccess.verify('token', created.token)).toBeUndefined();
  });
});
