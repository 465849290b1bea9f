/** Issue 20: Quay answers whose status misleads, as berth's client reports them (quirks.ts). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type QuayHarness, startQuay } from '../../../test/support/providers/quay.ts';
import { ForbiddenError, type ProviderError, UnauthorizedError } from '../http/errors.ts';

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
