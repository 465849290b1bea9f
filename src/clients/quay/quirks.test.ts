/** Issue 20: Quay answers whose status misleads, as berth's client reports them (quirks.ts). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type QuayHarness, startQuay } from '../../../test/support/providers/quay.ts';
import { ForbiddenError, NotFoundError, type ProviderError, UnauthorizedError } from '../http/errors.ts';

let h: QuayHarness;
beforeEach(async () => {
  h = await startQuay();
  h.sim.addOrganization('acme');
});
afterEach(() => h.close());

describe('a write with an invalid token (Quay: 403 "CSRF token was invalid or missing.")', () => {
  it('is an authentication failure naming the credentials, not missing rights', async () => {
    const wrong = h.connect({ token: 'revoked-token' });
    const failures = [
      await wrong.registries.create(h.desired('neworg')).catch((e: unknown) => e),
      await wrong.api.createRobot('acme', 'ci', {}).catch((e: unknown) => e),
      await wrong.tokens.revoke(h.registry('acme'), 'acme+ci').catch((e: unknown) => e),
    ];
    for (const err of failures) {
      // The wire said 403 {error: CSRF ...}: the error keeps that status and the body as its cause.
      expect(err).toBeInstanceOf(UnauthorizedError);
      expect(err).not.toBeInstanceOf(ForbiddenError);
      expect((err as ProviderError).status).toBe(403);
      expect(((err as Error).cause as ProviderError).message).toContain('CSRF token was invalid or missing');
      expect((err as Error).message).toMatch(
        /^quay [a-z.]+: Quay refused the API token \(the token key of the credentials Secret\): it is invalid, expired or revoked/,
      );
    }
    // Nothing was taken for a missing organization (no 404 probe after the 403).
    expect(h.sim.server.log.filter((l) => l.method === 'GET')).toEqual([]);
    expect(h.delays).toEqual([]);
  });

  it('leaves a valid token’s missing rights a ForbiddenError', async () => {
    h.sim.addToken('read-only', { username: h.sim.username, scopes: ['repo:read'] });
    const err = await h
      .connect({ token: 'read-only' })
      .api.createRobot('acme', 'ci', {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as ForbiddenError).context.code).toBe('insufficient_scope');
  });
});

describe('a grant to a repository that does not exist (Quay: 500 with an HTML page)', () => {
  beforeEach(() => {
    h.sim.addRepository('acme', 'api');
    h.sim.addRobot('acme', 'ci');
  });

  it('ends at once in a NotFoundError naming the repository and organization', async () => {
    const err = await h.provider.api
      .setUserPermission('acme', 'gone', 'acme+ci', 'read')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe(
      'quay permissions.set: repository gone does not exist in organization acme (Quay answered the grant with HTTP 500)',
    );
    // One PUT, one GET to tell why, no retries and nothing of the HTML page.
    expect(h.sim.server.log.map((l) => `${l.method} ${l.status}`)).toEqual(['PUT 500', 'GET 404']);
    expect(h.delays).toEqual([]);
    expect(((err as Error).cause as Error).message).not.toContain('<');
  });

  it('retries a 500 as usual when the repository exists', async () => {
    h.sim.server.faults.schedule(
      { kind: 'serverError', status: 500 },
      { times: 2, match: { method: 'PUT' } },
    );
    const granted = await h.provider.api.setUserPermission('acme', 'api', 'acme+ci', 'write');
    expect(granted).toMatchObject({ role: 'write', name: 'acme+ci' });
    expect(h.sim.server.log.map((l) => `${l.method} ${l.status}`)).toEqual([
      'PUT 500',
      'GET 200',
      'PUT 500',
      'PUT 200',
    ]);
  });

  it('becomes a scope problem of the token when the repository vanished after it was listed', async () => {
    const issued = await h.provider.tokens.issue({ registry: h.registry('acme'), name: 'pull', scopes: [] });
    // The list still names the repository someone deletes before the grant goes out.
    const listed = h.provider.api.repositories.bind(h.provider.api);
    vi.spyOn(h.provider.api, 'repositories').mockImplementation(async function* (namespace: string) {
      yield* listed(namespace);
      yield { namespace: 'acme', name: 'gone' };
    });
    const update = await h.provider.tokens.updateScopes(h.registry('acme'), issued.id, [
      { repository: '*', actions: ['pull'] },
    ]);
    expect(update.problems).toEqual([
      'gone: quay permissions.set: repository gone does not exist in organization acme (Quay answered the grant with HTTP 500)',
    ]);
    expect(h.sim.repository('acme', 'api')?.permissions.get(issued.id)).toBe('read');
    expect(h.delays).toEqual([]);
  });
});
