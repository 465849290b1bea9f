import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateAgainstSpec, validateRequestAgainstSpec } from '../../../test/support/openapi.ts';
import { recorded } from '../../../test/support/providers/quay.ts';
import { QuaySimulator } from './simulator.ts';
import { callSim, type SimCall } from './test-call.ts';

let sim: QuaySimulator;
let base: string;
const T0 = Date.parse('2024-05-10T15:11:00Z');

beforeEach(async () => {
  sim = new QuaySimulator({ repositoryPageSize: 1, now: () => T0 });
  base = `${await sim.start()}/api/v1`;
  sim.addOrganization('acme', { email: 'ops@acme.example' });
});
afterEach(() => sim.stop());

const call = (method: string, path: string, options: SimCall = {}) =>
  callSim(base, sim.token, method, path, options);

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
      // GET /user/ adds its payload {"session_required": false} (endpoints/api/user.py).
      expect(Object.keys(res.body as object).sort()).toEqual([...ERROR_KEYS, 'session_required'].sort());
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
    const org = { name: 'neworg', email: 'ops@neworg.example' };
    expect((await call('POST', '/organization/', { body: org })).body).toBe('Created');
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
    expect([perm.status, perm.body]).toMatchObject([
      400,
      { status: 400, title: 'invalid_request', detail: 'User does not have permission for repo.' },
    ]);
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

  it('creates an organization without email although the saved spec’s NewOrg requires it', async () => {
    // quay-api.swagger.json (an older Quay) has NewOrg "required": [ "name", "email" ]; v3.18.0's
    // OrganizationList.post requires only name (real-server.test.ts has the e-mail rules).
    expect(validateRequestAgainstSpec('quay', 'POST', '/api/v1/organization/', { name: 'x' })).not.toEqual(
      [],
    );
    const res = await call('POST', '/organization/', { body: { name: 'neworg' } });
    expect([res.status, res.body]).toEqual([201, 'Created']);
    const body = { name: 'other', email: 'ops@other.example' };
    expect(validateRequestAgainstSpec('quay', 'POST', '/api/v1/organization/', body)).toEqual([]);
    expect((await call('POST', '/organization/', { body })).status).toBe(201);
    expect(sim.organization('other')?.email).toBe('ops@other.example');
  });

  it('answers 402 exceeds_license for a private repository on a free plan (notes §3, §6)', async () => {
    // quay.md §3: "POST /api/v1/repository ... 201 {namespace,name,kind}; 402 exceeds_license (billing)";
    // §6: "Private repos can hit 402 exceeds_license on billing-enabled installs (quay.io free plans)".
    const free = new QuaySimulator({ plan: 'free' });
    const url = await free.start();
    free.addOrganization('acme');
    const create = (visibility: string) =>
      fetch(`${url}/api/v1/repository`, {
        method: 'POST',
        headers: { authorization: `Bearer ${free.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ namespace: 'acme', repository: visibility, visibility, description: '' }),
      });
    const refused = await create('private');
    const body = (await refused.json()) as object;
    expect([refused.status, body]).toMatchObject([402, { status: 402, title: 'exceeds_license' }]);
    expect(Object.keys(body).sort()).toEqual(ERROR_KEYS);
    expect(free.repository('acme', 'private')).toBeUndefined();
    expect((await create('public')).status).toBe(201);
    await free.stop();
  });

  it('answers a simulated 429 with plain text, as nginx does', async () => {
    sim.server.faults.schedule({ kind: 'rateLimit' });
    const res = await call('GET', '/user/');
    expect([res.status, res.body, res.headers.get('retry-after')]).toEqual([429, 'Too Many Requests', null]);
  });
});

describe('robot permissions (notes §1, §3)', () => {
  it('GET robots/{short}/permissions needs user:admin besides org:admin', async () => {
    // notes §1: "GET /organization/{org}/robots/{r}/permissions | user:admin (uses require_user_admin, a gotcha)";
    // the spec's security for it: oauth2_implicit ["user:admin"].
    sim.addRepository('acme', 'api');
    sim.addRobot('acme', 'ci');
    sim.repository('acme', 'api')?.permissions.set('acme+ci', 'write');
    const path = '/organization/acme/robots/ci/permissions';
    sim.addToken('user-admin-only', { username: sim.username, scopes: ['user:admin'] });
    sim.addToken('both', { username: sim.username, scopes: ['user:admin', 'org:admin'] });
    expect((await call('GET', path, { token: 'user-admin-only' })).status).toBe(403);
    const res = await call('GET', path, { token: 'both' });
    expect(res.body).toEqual({
      permissions: [{ repository: { name: 'api', is_public: false }, role: 'write' }],
    });
    // The spec has no body for this 200; the shape is the notes' (testdata/robot-permissions.json).
    expect((await call('GET', '/organization/acme/robots/ghost/permissions')).body).toEqual({
      message: 'Could not find robot with specified username',
    });
  });

  it('PUT .../permissions/user/{org+robot} upserts (200 view), DELETE answers 204 then 400', async () => {
    // notes §3: PUT "200 {role,name,is_robot,avatar,is_org_member} (upsert)";
    // DELETE "204; 400 "User does not have permission for repo."" (an ApiException body, issue 20).
    sim.addRepository('acme', 'api');
    sim.addRobot('acme', 'ci');
    const path = '/repository/acme/api/permissions/user/acme%2Bci';
    for (const role of ['read', 'write']) {
      const put = await call('PUT', path, { body: { role } });
      expect([put.status, put.body]).toMatchObject([200, { role, name: 'acme+ci', is_robot: true }]);
    }
    expect(sim.repository('acme', 'api')?.permissions.get('acme+ci')).toBe('write');
    expect((await call('DELETE', path)).status).toBe(204);
    expect((await call('DELETE', path)).body).toMatchObject({
      detail: 'User does not have permission for repo.',
    });
    // A missing repository crashes Quay here: 500 (real-server.test.ts).
    expect(
      (await call('PUT', '/repository/acme/gone/permissions/user/acme%2Bci', { body: { role: 'read' } }))
        .status,
    ).toBe(500);
  });

  it('answers 404 for a missing robot when started as the seed’s guide lists it', async () => {
    // Seed 004, 2.14.13 get and 2.14.12 delete /api/v1/organization/{orgname}/robots/{robot_shortname}:
    // "404 | Not found" (Quay's source answers 400 instead, the default).
    const seedLike = new QuaySimulator({ missingRobotStatus: 404 });
    const url = await seedLike.start();
    seedLike.addOrganization('acme');
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${url}/api/v1/organization/acme/robots/ghost`, {
        method,
        headers: { authorization: `Bearer ${seedLike.token}` },
      });
      const body = await res.json();
      expect([res.status, body]).toMatchObject([404, { title: 'not_found' }]);
      const template = '/api/v1/organization/{orgname}/robots/{robot_shortname}';
      expect(validateAgainstSpec('quay', method, template, 404, body)).toEqual([]);
    }
    await seedLike.stop();
  });
});

describe('rate limits (notes §9)', () => {
  it('enforces quay.io’s /api/ limit by default: 1 + burst 25 at once, then 429 without Retry-After', async () => {
    // quay.md §9: "`/api/`: 5 r/s with burst 25 per IP (HTTP/1) ... Rejects are 429 with **no Retry-After**".
    const limited = new QuaySimulator();
    const url = await limited.start();
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        fetch(`${url}/api/v1/user/`, { headers: { authorization: `Bearer ${limited.token}` } }),
      ),
    );
    const refused = answers.filter((r) => r.status === 429);
    // 26 pass at once; a slow machine may see one more drip in (5 r/s).
    expect(40 - refused.length).toBeGreaterThanOrEqual(26);
    expect(40 - refused.length).toBeLessThanOrEqual(28);
    expect(refused[0]?.headers.get('retry-after')).toBeNull();
    expect(await refused[0]?.text()).toContain('Too Many Requests');
    expect(limited.server.log.filter((l) => l.status === 429)).toHaveLength(refused.length);
    limited.setRateLimits(false);
    expect(
      (await fetch(`${url}/api/v1/user/`, { headers: { authorization: `Bearer ${limited.token}` } })).status,
    ).toBe(200);
    await limited.stop();
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
    // Quay 3.18 data/model/autoprune.py create_namespace_autoprune_policy, via request_error.
    expect(await call('POST', '/organization/acme/autoprunepolicy/', { body: policy })).toMatchObject({
      status: 400,
      body: {
        error_message:
          'Existing policy with same values for this namespace, duplicate policies are not permitted',
      },
    });
    const put = await call('PUT', `/organization/acme/autoprunepolicy/${uuid}`, {
      body: { method: 'creation_date', value: '7d' },
    });
    expect([put.status, put.body]).toEqual([204, undefined]);
    // update_namespace_autoprune_policy has no duplicate check: a PUT can make two identical policies.
    const other = await call('POST', '/organization/acme/autoprunepolicy/', { body: policy });
    const twin = await call(
      'PUT',
      `/organization/acme/autoprunepolicy/${(other.body as { uuid: string }).uuid}`,
      {
        body: { method: 'creation_date', value: '7d' },
      },
    );
    expect(twin.status).toBe(204);
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
