import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type QuayHarness, ROBOT_PUT, robotPath, startQuay } from '../../../test/support/providers/quay.ts';
import {
  BadRequestError,
  ConflictError,
  ConnectionError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  SchemaMismatchError,
  ServerError,
  UnauthorizedError,
} from '../http/errors.ts';
import type { IssueRequest } from '../provider.ts';

let h: QuayHarness;
beforeEach(async () => {
  h = await startQuay();
  h.sim.addOrganization('acme');
});
afterEach(() => h.close());

function issue(name = 'ci'): IssueRequest {
  return { registry: h.registry('acme'), name, scopes: [] };
}

describe('retries', () => {
  it('honours Retry-After on a 429 and then succeeds', async () => {
    h.sim.server.faults.schedule({ kind: 'rateLimit', retryAfter: '1' }, { match: { method: 'GET' } });
    const observed = await h.provider.registries.observe({ name: 'acme' }, h.desired('acme'));
    expect(observed?.ready).toBe(true);
    expect(h.delays).toEqual([1000]);
    expect(h.sim.server.log.map((e) => e.status)).toEqual([429, 200]);
  });

  it('backs off with jitter on a 429 without Retry-After (nginx sends none)', async () => {
    h.sim.server.faults.schedule({ kind: 'rateLimit' }, { times: 2, match: { method: 'GET' } });
    await h.provider.tokens.listOwned(h.registry('acme'), 'x');
    expect(h.delays).toHaveLength(2);
    expect(h.delays[0]).toBeGreaterThanOrEqual(250);
    expect(h.delays[1]).toBeGreaterThanOrEqual(500);
  });

  it('retries idempotent calls on 503 and connection resets', async () => {
    h.sim.addRepository('acme', 'api');
    h.sim.server.faults.schedule({ kind: 'serverError', status: 503 }, { match: { method: 'GET' } });
    h.sim.server.faults.schedule({ kind: 'reset' }, { match: { method: 'PUT', path: /permissions/ } });
    await h.provider.tokens.issue({ ...issue(), scopes: [{ repository: 'api', actions: ['pull'] }] });
    // The 503 is retried after a backoff. The reset comes on a connection earlier calls left open,
    // which is what a server closing an idle connection looks like: sent again at once, no wait.
    expect(h.delays).toHaveLength(1);
    expect(h.sim.repository('acme', 'api')?.permissions.get('acme+ci')).toBe('read');
  });

  it('gives up after the retries with RateLimitedError', async () => {
    h.sim.server.faults.schedule({ kind: 'rateLimit', retryAfter: '2' }, { times: 10 });
    await expect(h.provider.verifyCredentials()).rejects.toBeInstanceOf(RateLimitedError);
    expect(h.delays).toEqual([2000, 2000, 2000]);
  });
});

describe('issuing calls are never retried', () => {
  it.each([
    ['a 503', { kind: 'serverError', status: 503 } as const, ServerError],
    ['a reset', { kind: 'reset' } as const, ConnectionError],
  ])('robot create (PUT) after %s: one request, error surfaced', async (_, fault, error) => {
    // The PUT is the test's first request, on a new connection: a reset there is no stale pooled
    // connection, which is sent again once (stale-connection.test.ts).
    h.sim.server.faults.schedule(fault, { match: { method: 'PUT', path: robotPath } });
    await expect(h.provider.tokens.issue(issue())).rejects.toBeInstanceOf(error);
    expect(h.sim.server.counts()[ROBOT_PUT]).toBe(1);
    expect(h.delays).toEqual([]);
  });

  it('regenerate (POST) after a 503: one request', async () => {
    h.sim.addRobot('acme', 'ci');
    h.sim.server.faults.schedule({ kind: 'serverError', status: 503 }, { match: { method: 'POST' } });
    await expect(h.provider.tokens.regenerate(h.registry('acme'), 'acme+ci')).rejects.toBeInstanceOf(
      ServerError,
    );
    expect(h.sim.server.counts()['POST /api/v1/organization/:org/robots/:robot/regenerate']).toBe(1);
  });

  it('organization create (POST) after a reset: one request', async () => {
    h.sim.server.faults.schedule({ kind: 'reset' }, { match: { method: 'POST' } });
    await expect(h.provider.registries.create(h.desired('neworg'))).rejects.toBeInstanceOf(ConnectionError);
    expect(h.sim.server.counts()['POST /api/v1/organization/']).toBe(1);
  });

  it('a lost create response leaves exactly one robot, which listOwned finds', async () => {
    h.sim.server.faults.schedule({ kind: 'loseResponse' }, { match: { method: 'PUT', path: robotPath } });
    await expect(h.provider.tokens.issue(issue('berth-ci-1'))).rejects.toBeInstanceOf(ConnectionError);
    expect(h.sim.server.counts()[ROBOT_PUT]).toBe(1);
    expect([...(h.sim.organization('acme')?.robots.keys() ?? [])]).toEqual(['berth-ci-1']);
    const owned = await h.provider.tokens.listOwned(h.registry('acme'), 'berth-ci-');
    expect(owned.map((c) => c.id)).toEqual(['acme+berth-ci-1']);
    // Issuing the same name again is a conflict, not a second robot.
    await expect(h.provider.tokens.issue(issue('berth-ci-1'))).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('error mapping', () => {
  it('401 for an unknown token', async () => {
    const wrong = h.connect({ token: 'wrong-token-value' });
    await expect(wrong.tokens.listOwned(h.registry('acme'), 'x')).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('403 with Quay code insufficient_scope for a token without org:admin', async () => {
    h.sim.addToken('repo-only', { username: h.sim.username, scopes: ['repo:read'] });
    const err = await h
      .connect({ token: 'repo-only' })
      .tokens.listOwned(h.registry('acme'), 'x')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as ForbiddenError).context.code).toBe('insufficient_scope');
  });

  it('404 from getOrganization is undefined in observe, an error in the API', async () => {
    expect(await h.provider.registries.observe({ name: 'nope' }, h.desired('nope'))).toBeUndefined();
    await expect(h.provider.api.getOrganization('nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('400 {message} for a missing robot keeps Quay’s text', async () => {
    const err = await h.provider.api.getRobot('acme', 'nobody').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toContain('Could not find robot');
  });

  it('reads Quay’s text from every body shape v3.18.0 answers (issue 20)', async () => {
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => expect.unreachable(),
        (e: unknown) => e as BadRequestError,
      );
    // A bare {message}: an invalid time machine option.
    const bare = await fail(h.provider.api.updateOrganization('acme', { tag_expiration_s: 12_345 }));
    expect(bare).toBeInstanceOf(BadRequestError);
    expect(bare.message).toBe(
      'quay organizations.update failed with HTTP 400: Invalid tag expiration option',
    );
    // ApiException bodies: a grant to a robot that does not exist, a permission already gone.
    h.sim.addRepository('acme', 'api');
    const robot = await fail(h.provider.api.setUserPermission('acme', 'api', 'acme+ghost', 'read'));
    expect([robot.message, robot.context.code]).toEqual([
      'quay permissions.set failed with HTTP 400: Invalid username: acme+ghost',
      'invalid_request',
    ]);
    const gone = await fail(h.provider.api.deleteUserPermission('acme', 'api', 'acme+ghost'));
    expect(gone.message).toMatch(/HTTP 400: User does not have permission for repo\.$/);
    // GET /user/'s 401 with session_required.
    const anonymous = await fail(h.connect({ token: 'wrong' }).verifyCredentials());
    expect(anonymous).toBeInstanceOf(UnauthorizedError);
    expect(anonymous.message).toBe('quay user.get failed with HTTP 401: Requires authentication');
    // A robot created without metadata: unstructured_metadata null.
    expect((await h.provider.api.createRobot('acme', 'bare', {})).unstructured_metadata).toBeNull();
  });

  it('409 for an immutable tag', async () => {
    h.sim.pushTag('acme', 'api', 'v1', { immutable: true });
    const err = await h.provider.api.deleteTag('acme', 'api', 'v1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).context.code).toBe('tag_immutable');
  });

  it('5xx after the retries is a ServerError', async () => {
    h.sim.server.faults.schedule({ kind: 'serverError', status: 502 }, { times: 10 });
    await expect(h.provider.api.listRobots('acme')).rejects.toBeInstanceOf(ServerError);
    expect(h.delays).toHaveLength(3);
  });

  it('a malformed body is a SchemaMismatchError', async () => {
    h.sim.server.faults.schedule({ kind: 'malformed' });
    await expect(h.provider.verifyCredentials()).rejects.toBeInstanceOf(SchemaMismatchError);
    h.sim.server.faults.schedule({ kind: 'malformed' });
    await expect(h.provider.tokens.listOwned(h.registry('acme'), 'x')).rejects.toBeInstanceOf(
      SchemaMismatchError,
    );
  });
});

describe('issue #12 item 9: rate limits', () => {
  it('at its default limits the client never trips quay.io’s /api/ limit (5 r/s, burst 25)', async () => {
    // quay.md §9: "/api/: 5 r/s with burst 25 per IP (HTTP/1)"; the simulator enforces it by default.
    const paced = h.connect({ limits: undefined });
    const started = performance.now();
    for (let i = 0; i < 36; i++) await paced.verifyCredentials();
    expect(h.sim.server.log.filter((e) => e.status === 429)).toEqual([]);
    expect(h.delays).toEqual([]);
    // 26 at once, the other 10 at 5 r/s: about 2 s.
    expect(performance.now() - started).toBeGreaterThan(1_500);
  });
});
