/**
 * Issue 20: where a run against a real Quay v3.18.0 answered otherwise than the simulator did.
 * Each test pins the real answer; the source lines that explain it are named in the simulator.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QuaySimulator, type QuaySimulatorOptions } from './simulator.ts';
import { callSim, type SimAnswer, type SimCall } from './test-call.ts';

let sim: QuaySimulator;
let base: string;

async function start(options: QuaySimulatorOptions = {}): Promise<void> {
  await sim?.stop();
  sim = new QuaySimulator({ rateLimits: false, ...options });
  base = `${await sim.start()}/api/v1`;
  sim.addOrganization('acme', { email: 'ops@acme.example' });
}

beforeEach(() => start());
afterEach(() => sim.stop());

const call = (method: string, path: string, options: SimCall = {}) =>
  callSim(base, sim.token, method, path, options);

describe('a write with an invalid token fails the CSRF check (403), a read is 401', () => {
  it('answers POST, PUT and DELETE with 403 {error}, anonymous or with an unknown token', async () => {
    const writes: [string, string, unknown][] = [
      ['POST', '/organization/', { name: 'neworg', email: 'ops@neworg.example' }],
      ['PUT', '/organization/acme/robots/ci', {}],
      ['DELETE', '/organization/acme/robots/ci', undefined],
      ['POST', '/organization/acme/robots/ci/regenerate', undefined],
      ['PUT', '/organization/acme', { tag_expiration_s: 86_400 }],
    ];
    for (const token of ['not-a-token', null])
      for (const [method, path, body] of writes) {
        const res = await call(method, path, { token, body });
        expect({ method, path, status: res.status, body: res.body }).toEqual({
          method,
          path,
          status: 403,
          body: { error: 'CSRF token was invalid or missing.' },
        });
      }
    expect(sim.organization('neworg')).toBeUndefined();
    expect(sim.robot('acme', 'ci')).toBeUndefined();
  });

  it('still answers GET with 401, and a valid token’s missing rights with 403 insufficient_scope', async () => {
    expect((await call('GET', '/user/', { token: 'not-a-token' })).status).toBe(401);
    expect((await call('GET', '/organization/acme/robots', { token: 'not-a-token' })).status).toBe(401);
    sim.addToken('read-only', { username: sim.username, scopes: ['repo:read'] });
    const res = await call('PUT', '/organization/acme/robots/ci', { token: 'read-only', body: {} });
    expect([res.status, res.body]).toMatchObject([403, { title: 'insufficient_scope' }]);
  });
});

describe('POST /organization/ e-mail (v3.18.0: optional; up to 3.17: required with FEATURE_MAILING)', () => {
  const create = (body: object) => call('POST', '/organization/', { body });

  it('creates an organization without e-mail by default (mailing on, as on quay.io)', async () => {
    const res = await create({ name: 'neworg' });
    expect([res.status, res.body]).toEqual([201, 'Created']);
    expect(sim.organization('neworg')?.email).toBe('');
    expect((await call('GET', '/organization/neworg')).body).toMatchObject({ email: '', is_admin: true });
  });

  it('checks a given e-mail: well-formed, not a user’s; organizations may share one', async () => {
    expect((await create({ name: 'bad', email: 'not-an-address' })).body).toMatchObject({
      status: 400,
      title: 'invalid_request',
      detail: 'Invalid email address',
    });
    expect((await create({ name: 'mine', email: `${sim.username}@example.com` })).body).toMatchObject({
      status: 400,
      detail: `Email has already been used: ${sim.username}@example.com`,
    });
    expect((await create({ name: 'shared', email: 'ops@acme.example' })).status).toBe(201);
    // contact_email wins over email.
    expect((await create({ name: 'contact', email: 'x', contact_email: 'ops@contact.example' })).status).toBe(
      201,
    );
    expect(sim.organization('contact')?.email).toBe('ops@contact.example');
  });

  it('with the 3.17 rules requires it when mailing is on, and not when it is off', async () => {
    await start({ organizationEmailRules: '3.17' });
    expect((await create({ name: 'neworg' })).body).toMatchObject({
      status: 400,
      detail: 'Email address is required',
    });
    expect((await create({ name: 'neworg', email: 'ops@acme.example' })).body).toMatchObject({
      detail: 'Email has already been used: ops@acme.example',
    });
    await start({ organizationEmailRules: '3.17', mailing: false });
    expect((await create({ name: 'neworg' })).status).toBe(201);
  });
});

describe('PUT .../permissions/user/{robot} on a repository that does not exist', () => {
  it('crashes: 500 with Flask’s HTML page, after the user checks', async () => {
    sim.addRobot('acme', 'ci');
    const res = await call('PUT', '/repository/acme/gone/permissions/user/acme%2Bci', {
      body: { role: 'read' },
    });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.body).toMatch(/^<!doctype html>[\s\S]*<title>500 Internal Server Error<\/title>/);
    // A missing robot is found first: a 400, not the crash.
    const ghost = await call('PUT', '/repository/acme/gone/permissions/user/acme%2Bghost', {
      body: { role: 'read' },
    });
    expect(ghost.status).toBe(400);
  });
});

describe('error and success bodies as v3.18.0 shapes them', () => {
  const API_ERROR = ['detail', 'error_message', 'error_type', 'status', 'title', 'type'];

  it('an invalid tag_expiration_s option is a bare {message}; a schema violation an ApiException', async () => {
    const res = await call('PUT', '/organization/acme', { body: { tag_expiration_s: 12_345 } });
    expect([res.status, res.body]).toEqual([400, { message: 'Invalid tag expiration option' }]);
    const negative = await call('PUT', '/organization/acme', { body: { tag_expiration_s: -1 } });
    expect(negative.body).toMatchObject({ status: 400, detail: '-1 is less than the minimum of 0' });
  });

  it('a grant to a missing robot and the delete of a missing permission answer ApiException bodies', async () => {
    sim.addRepository('acme', 'api');
    const put = await call('PUT', '/repository/acme/api/permissions/user/acme%2Bghost', {
      body: { role: 'read' },
    });
    const del = await call('DELETE', '/repository/acme/api/permissions/user/acme%2Bghost');
    for (const [res, detail] of [
      [put, 'Invalid username: acme+ghost'],
      [del, 'User does not have permission for repo.'],
    ] as const) {
      expect(res.status).toBe(400);
      expect(Object.keys(res.body as object).sort()).toEqual(API_ERROR);
      expect(res.body).toMatchObject({ detail, error_message: detail, title: 'invalid_request' });
    }
    // Reading a missing permission still lets the DataModelException through: {message}.
    const get = await call('GET', '/repository/acme/api/permissions/user/acme%2Bghost');
    expect(get.body).toEqual({ message: 'User does not have permission for repo.' });
  });

  it('GET /user/ says session_required in its 401 and super_user to a superuser’s token', async () => {
    const anonymous = await call('GET', '/user/', { token: null });
    expect(anonymous.body).toMatchObject({ session_required: false, status: 401, title: 'invalid_token' });
    // Other 401s come from Unauthorized(), which has no payload.
    expect((await call('GET', '/organization/acme/robots', { token: null })).body).not.toHaveProperty(
      'session_required',
    );
    sim.addToken('super', { username: 'quayadmin', scopes: ['user:read', 'super:user'] });
    expect((await call('GET', '/user/', { token: 'super' })).body).toMatchObject({ super_user: true });
    expect((await call('GET', '/user/')).body).not.toHaveProperty('super_user');
  });

  it('a robot created without metadata answers unstructured_metadata null, and reads back {}', async () => {
    const metadata = (answer: SimAnswer) =>
      (answer.body as { unstructured_metadata?: unknown }).unstructured_metadata;
    const created = await call('PUT', '/organization/acme/robots/ci');
    expect([created.status, metadata(created)]).toEqual([201, null]);
    expect(metadata(await call('GET', '/organization/acme/robots/ci'))).toEqual({});
    const marked = await call('PUT', '/organization/acme/robots/cd', {
      body: { unstructured_metadata: { a: 1 } },
    });
    expect(metadata(marked)).toEqual({ a: 1 });
  });
});

describe('GET .../tag/ lists deleted tags with end_ts unless onlyActiveTags', () => {
  it('shows the history by default and only live tags with onlyActiveTags=true', async () => {
    const t0 = Date.parse('2024-05-10T15:11:00Z');
    let now = t0;
    await start({ now: () => now });
    sim.pushTag('acme', 'api', 'v1', { pushedAt: t0 - 60_000 });
    sim.pushTag('acme', 'api', 'v2', { pushedAt: t0 - 30_000 });
    expect((await call('DELETE', '/repository/acme/api/tag/v1')).status).toBe(204);
    now = t0 + 1_000;
    type Tags = { tags: { name: string; end_ts?: number }[] };
    const all = (await call('GET', '/repository/acme/api/tag/')).body as Tags;
    expect(all.tags.map((t) => [t.name, t.end_ts])).toEqual([
      ['v2', undefined],
      ['v1', t0 / 1000],
    ]);
    const active = (await call('GET', '/repository/acme/api/tag/?onlyActiveTags=true')).body as Tags;
    expect(active.tags.map((t) => t.name)).toEqual(['v2']);
  });
});
