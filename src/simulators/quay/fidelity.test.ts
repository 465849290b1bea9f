import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateAgainstSpec } from '../../../test/support/openapi.ts';
import { recorded } from '../../clients/quay/testing.ts';
import { QuaySimulator } from './simulator.ts';

let sim: QuaySimulator;
let base: string;
const T0 = Date.parse('2024-05-10T15:11:00Z');

beforeEach(async () => {
  sim = new QuaySimulator({ repositoryPageSize: 1, now: () => T0 });
  base = `${await sim.start()}/api/v1`;
  sim.addOrganization('acme', { email: 'ops@acme.example' });
});
afterEach(() => sim.stop());

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

async function call(method: string, path: string, options: { token?: string | null; body?: unknown } = {}) {
  const token = options.token === undefined ? sim.token : options.token;
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // plain text (nginx 429)
  }
  return { status: res.status, body, headers: res.headers } satisfies Answer;
}

/** Keys of `expected` missing in `actual`, or with another JSON type (null matches anything). */
function shapeDiff(expected: unknown, actual: unknown, path = '$'): string[] {
  if (expected === null || actual === null) return [];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: not an array`];
    return expected.slice(0, actual.length).flatMap((e, i) => shapeDiff(e, actual[i], `${path}[${i}]`));
  }
  if (typeof expected === 'object') {
    if (typeof actual !== 'object' || Array.isArray(actual)) return [`${path}: not an object`];
    const a = actual as Record<string, unknown>;
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
      k in a ? shapeDiff(v, a[k], `${path}.${k}`) : [`${path}.${k}: missing`],
    );
  }
  return typeof expected === typeof actual ? [] : [`${path}: ${typeof actual} instead of ${typeof expected}`];
}

describe('shapeDiff', () => {
  it('reports missing keys and other types, and treats null as unknown', () => {
    expect(shapeDiff({ a: 1, b: { c: 'x' }, d: null }, { a: '1', b: {}, d: 3 })).toEqual([
      '$.a: string instead of number',
      '$.b.c: missing',
    ]);
  });
});

const ERROR_KEYS = ['detail', 'error_message', 'error_type', 'status', 'title', 'type'];

describe('error bodies and status codes (notes §2)', () => {
  it('401 invalid_token for anonymous or unknown tokens, valid against the spec', async () => {
    for (const token of [null, 'wrong']) {
      const res = await call('GET', '/user/', { token });
      expect(res.status).toBe(401);
      expect(Object.keys(res.body as object).sort()).toEqual(ERROR_KEYS);
      expect(res.body).toMatchObject({
        status: 401,
        title: 'invalid_token',
        detail: 'Requires authentication',
      });
      expect(validateAgainstSpec('quay', 'GET', '/api/v1/user/', 401, res.body)).toEqual([]);
    }
  });

  it('403 for a missing organization below /organization, 404 only from GET /organization/{org}', async () => {
    const robots = await call('GET', '/organization/nope/robots');
    expect(robots.status).toBe(403);
    expect(robots.body).toMatchObject({ title: 'insufficient_scope', detail: 'Unauthorized' });
    expect(
      validateAgainstSpec('quay', 'GET', '/api/v1/organization/{orgname}/robots', 403, robots.body),
    ).toEqual([]);
    const org = await call('GET', '/organization/nope');
    expect(org.status).toBe(404);
    expect(validateAgainstSpec('quay', 'GET', '/api/v1/organization/{orgname}', 404, org.body)).toEqual([]);
  });

  it('400 {message} for a missing robot on GET, DELETE and regenerate (not the spec’s ApiError)', async () => {
    for (const [method, path] of [
      ['GET', '/organization/acme/robots/ghost'],
      ['DELETE', '/organization/acme/robots/ghost'],
      ['POST', '/organization/acme/robots/ghost/regenerate'],
    ] as const) {
      const res = await call(method, path);
      expect([res.status, res.body]).toEqual([
        400,
        { message: 'Could not find robot with specified username' },
      ]);
    }
    // The spec claims every 400 is an ApiError; Quay's DataModelException handler says otherwise.
    const body = recorded('error-robot-missing');
    expect(
      validateAgainstSpec(
        'quay',
        'GET',
        '/api/v1/organization/{orgname}/robots/{robot_shortname}',
        400,
        body,
      ),
    ).not.toEqual([]);
  });

  it('400 invalid_request for an existing robot, valid against the spec', async () => {
    expect((await call('PUT', '/organization/acme/robots/ci', { body: {} })).status).toBe(201);
    const res = await call('PUT', '/organization/acme/robots/ci', { body: {} });
    expect(res.status).toBe(400);
    expect(shapeDiff(recorded('error-invalid-request'), res.body)).toEqual([]);
    expect(res.body).toMatchObject({ detail: 'Existing robot with name: acme+ci' });
    const template = '/api/v1/organization/{orgname}/robots/{robot_shortname}';
    expect(validateAgainstSpec('quay', 'PUT', template, 400, res.body)).toEqual([]);
  });

  it('answers the codes of the source, not of the old guide (notes §11)', async () => {
    expect((await call('POST', '/organization/', { body: { name: 'neworg' } })).body).toBe('Created');
    expect((await call('PUT', '/organization/acme/robots/ci', { body: {} })).status).toBe(201);
    expect((await call('POST', '/organization/acme/robots/ci/regenerate')).status).toBe(200);
    const repo = { namespace: 'acme', repository: 'api', visibility: 'private', description: '' };
    expect((await call('POST', '/repository', { body: repo })).status).toBe(201);
    expect((await call('POST', '/repository', { body: repo })).body).toMatchObject({
      detail: 'Repository already exists',
    });
    sim.pushTag('acme', 'api', 'v1');
    const put = await call('PUT', '/repository/acme/api/tag/v1', { body: { expiration: T0 / 1000 + 60 } });
    expect([put.status, put.body]).toEqual([201, 'Updated']);
    expect(
      (await call('PUT', '/repository/acme/api/tag/v1', { body: { expiration: T0 / 1000 - 60 } })).status,
    ).toBe(400);
    expect((await call('DELETE', '/repository/acme/api/tag/v1')).status).toBe(204);
    expect((await call('DELETE', '/repository/acme/api/tag/v1')).status).toBe(404);
    expect((await call('DELETE', '/repository/acme/gone')).status).toBe(204);
    expect((await call('GET', '/repository/acme/gone')).status).toBe(404);
    const perm = await call('DELETE', '/repository/acme/api/permissions/user/acme+ci');
    expect([perm.status, perm.body]).toEqual([400, { message: 'User does not have permission for repo.' }]);
  });

  it('403 for repositories of organizations the user does not administer, 401 anonymous, public reads open', async () => {
    sim.addOrganization('foreign', { admins: ['someone-else'] });
    sim.addRepository('foreign', 'secret');
    sim.addRepository('foreign', 'open', { visibility: 'public' });
    sim.pushTag('foreign', 'open', 'latest');
    expect((await call('GET', '/repository/foreign/secret')).status).toBe(403);
    expect((await call('GET', '/repository/foreign/missing')).status).toBe(403);
    expect((await call('GET', '/repository/foreign/secret/tag/', { token: null })).status).toBe(401);
    expect((await call('GET', '/repository/foreign/open/tag/', { token: null })).status).toBe(200);
    expect((await call('DELETE', '/repository/foreign/open/tag/latest')).status).toBe(403);
  });

  it('caps each route by the token’s scopes (org:admin does not imply repo:*)', async () => {
    sim.addRepository('acme', 'api');
    sim.addToken('org-only', { username: sim.username, scopes: ['org:admin'] });
    expect((await call('GET', '/organization/acme/robots', { token: 'org-only' })).status).toBe(200);
    expect((await call('GET', '/repository/acme/api', { token: 'org-only' })).status).toBe(403);
    expect((await call('GET', '/organization/acme/robots/x/permissions', { token: 'org-only' })).status).toBe(
      403,
    );
  });

  it('answers a simulated 429 with plain text, as nginx does', async () => {
    sim.server.faults.schedule({ kind: 'rateLimit' });
    const res = await call('GET', '/user/');
    expect([res.status, res.body, res.headers.get('retry-after')]).toEqual([429, 'Too Many Requests', null]);
  });
});

describe('robot tokens (notes §4)', () => {
  it('shows the token to administrators on create, GET, list (token defaults to true) and regenerate', async () => {
    const created = (await call('PUT', '/organization/acme/robots/ci', { body: { description: 'x' } }))
      .body as {
      token: string;
    };
    expect(created.token).toMatch(/^[A-Z0-9]{64}$/);
    expect(((await call('GET', '/organization/acme/robots/ci')).body as { token: string }).token).toBe(
      created.token,
    );
    const listed = (await call('GET', '/organization/acme/robots')).body as { robots: { token?: string }[] };
    expect(listed.robots[0]?.token).toBe(created.token);
    const hidden = (await call('GET', '/organization/acme/robots?token=false')).body as { robots: object[] };
    expect(hidden.robots[0]).not.toHaveProperty('token');
    const renewed = (await call('POST', '/organization/acme/robots/ci/regenerate')).body as { token: string };
    expect(renewed.token).not.toBe(created.token);
    expect(sim.registryAccess.verify('acme+ci', created.token)).toBeUndefined();
    expect(sim.registryAccess.verify('acme+ci', renewed.token)).toBeDefined();
    expect(sim.robot('acme', 'ci')?.lastAccessed).toBe(T0);
  });
});

describe('tags (notes §7)', () => {
  it('caps limit at 100, pages from 1 and keeps the history unless onlyActiveTags', async () => {
    for (let i = 0; i < 120; i++) sim.pushTag('acme', 'api', `t${i}`, { pushedAt: T0 - i * 1000 });
    sim.repository('acme', 'api')?.tags.forEach((t) => {
      if (t.name === 't0') t.end = T0 - 1;
    });
    const all = (await call('GET', '/repository/acme/api/tag/?limit=500')).body as {
      tags: unknown[];
      has_additional: boolean;
    };
    expect([all.tags.length, all.has_additional]).toEqual([100, true]);
    const active = (await call('GET', '/repository/acme/api/tag/?onlyActiveTags=true&limit=100&page=2'))
      .body as {
      tags: unknown[];
      has_additional: boolean;
      page: number;
    };
    expect([active.tags.length, active.has_additional, active.page]).toEqual([19, false, 2]);
  });
});

describe('auto-prune (notes §8)', () => {
  it('POST 201 {uuid}, PUT 204 without body, DELETE 200 {uuid}, duplicates 400', async () => {
    const policy = { method: 'number_of_tags', value: 10 };
    const created = await call('POST', '/organization/acme/autoprunepolicy/', { body: policy });
    expect(created.status).toBe(201);
    const { uuid } = created.body as { uuid: string };
    expect((await call('POST', '/organization/acme/autoprunepolicy/', { body: policy })).status).toBe(400);
    const put = await call('PUT', `/organization/acme/autoprunepolicy/${uuid}`, {
      body: { method: 'creation_date', value: '7d' },
    });
    expect([put.status, put.body]).toEqual([204, undefined]);
    expect((await call('DELETE', `/organization/acme/autoprunepolicy/${uuid}`)).body).toEqual({ uuid });
    expect((await call('GET', `/organization/acme/autoprunepolicy/${uuid}`)).status).toBe(404);
    expect(
      (
        await call('POST', '/organization/acme/autoprunepolicy/', {
          body: { method: 'creation_date', value: 7 },
        })
      ).status,
    ).toBe(400);
  });
});

describe('success bodies have the recorded shapes (testdata/)', () => {
  it('matches every recorded example', async () => {
    const robot = await call('PUT', '/organization/acme/robots/ci', {
      body: { description: 'Managed by berth', unstructured_metadata: { 'managed-by': 'berth' } },
    });
    await call('POST', '/repository', {
      body: { namespace: 'acme', repository: 'web', visibility: 'private', description: '' },
    });
    const repoCreated = await call('POST', '/repository', {
      body: { namespace: 'acme', repository: 'api', visibility: 'private', description: '' },
    });
    const permission = await call('PUT', '/repository/acme/api/permissions/user/acme+ci', {
      body: { role: 'write' },
    });
    sim.pushTag('acme', 'api', 'v1.2.0', { pushedAt: T0 });
    sim.pushTag('acme', 'api', 'v1.1.0', { pushedAt: T0 - 86_400_000 });
    await call('PUT', '/repository/acme/api/tag/v1.1.0', { body: { expiration: T0 / 1000 + 3600 } });
    await call('POST', '/organization/acme/autoprunepolicy/', {
      body: { method: 'number_of_tags', value: 10 },
    });
    const examples: [string, unknown][] = [
      ['seed-user', (await call('GET', '/user/')).body],
      ['organization', (await call('GET', '/organization/acme')).body],
      ['robot-created', robot.body],
      ['robot-list', (await call('GET', '/organization/acme/robots?token=false')).body],
      ['robot-permissions', (await call('GET', '/organization/acme/robots/ci/permissions')).body],
      ['repository-created', repoCreated.body],
      ['repository-list', (await call('GET', '/repository?namespace=acme')).body],
      ['repository', (await call('GET', '/repository/acme/api?includeTags=false')).body],
      ['permission', permission.body],
      ['permission-map', (await call('GET', '/repository/acme/api/permissions/user/')).body],
      ['tag-list', (await call('GET', '/repository/acme/api/tag/')).body],
      ['autoprune-list', (await call('GET', '/organization/acme/autoprunepolicy/')).body],
      ['robot-regenerated', (await call('POST', '/organization/acme/robots/ci/regenerate')).body],
    ];
    for (const [name, body] of examples)
      expect({ name, diff: shapeDiff(recorded(name), body) }).toEqual({ name, diff: [] });
    expect(validateAgainstSpec('quay', 'GET', '/api/v1/user/', 200, examples[0]?.[1])).toEqual([]);
  });

  it('hides auto-prune entirely when the feature is off', async () => {
    const off = new QuaySimulator({ autoPrune: false });
    const url = await off.start();
    off.addOrganization('acme');
    const res = await fetch(`${url}/api/v1/organization/acme/autoprunepolicy/`, {
      headers: { authorization: `Bearer ${off.token}` },
    });
    expect(res.status).toBe(404);
    await off.stop();
  });
});
