import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
  TEST_USER,
} from '../../../test/support/providers/selectel.ts';
import { UnauthorizedError } from '../http/errors.ts';

let bed: SelectelTestBed;
const logins = () => bed.sim.server.counts()['POST /identity/v3/auth/tokens'] ?? 0;
const craasCalls = () => bed.sim.server.log.filter((e) => e.path.startsWith('/api/')).length;

beforeAll(async () => {
  bed = await startSelectelTestBed();
});
afterAll(() => bed.stop());
beforeEach(() => {
  bed.sim.server.log.length = 0;
  bed.sim.server.faults.clear();
  bed.sim.identity.lifetimeMs = 24 * 3_600_000;
});

describe('SelectelAuth (IAM token for CRaaS)', () => {
  it('obtains one project-scoped token and reuses it until it nears expiry', async () => {
    let now = Date.now();
    const provider = bed.provider({ now: () => now });
    await provider.verifyCredentials();
    await provider.api.listRegistries();
    await provider.api.tokens.list();
    expect(logins()).toBe(1);
    expect(craasCalls()).toBe(3);
    // 24 h lifetime, renewed 5 minutes before its end.
    now += 24 * 3_600_000 - 6 * 60_000;
    await provider.api.listRegistries();
    expect(logins()).toBe(1);
    now += 2 * 60_000;
    await provider.api.listRegistries();
    expect(logins()).toBe(2);
  });

  it('renews short-lived tokens at nine tenths of their lifetime', async () => {
    bed.sim.identity.lifetimeMs = 1000;
    let now = Date.now();
    const provider = bed.provider({ now: () => now });
    await provider.api.listRegistries();
    now += 850;
    await provider.api.listRegistries();
    expect(logins()).toBe(1);
    now += 100;
    await provider.api.listRegistries();
    expect(logins()).toBe(2);
  });

  it('shares one login among concurrent requests', async () => {
    const provider = bed.provider();
    await Promise.all(Array.from({ length: 6 }, () => provider.api.listRegistries()));
    expect(logins()).toBe(1);
  });

  it('logs in again and retries once when CRaaS refuses an expired token (401)', async () => {
    const provider = bed.provider();
    await provider.api.listRegistries();
    bed.sim.expireIamTokens();
    await provider.api.listRegistries();
    expect(logins()).toBe(2);
    expect(bed.sim.server.log.filter((e) => e.path === '/api/v1/registries').map((e) => e.status)).toEqual([
      204, 401, 204,
    ]);
  });

  it('fails with UnauthorizedError, without retrying, for a wrong password', async () => {
    const provider = bed.provider({
      credentials: {
        username: TEST_USER.username,
        password: 'wrong-password',
        accountId: TEST_USER.accountId,
      },
    });
    const err = await provider.verifyCredentials().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).toContain('requires authentication');
    expect((err as UnauthorizedError).context.operation).toBe('identity.issueToken');
    expect(logins()).toBe(1);
    expect(craasCalls()).toBe(0);
  });

  it('fails with UnauthorizedError for a project the user may not use', async () => {
    const provider = bed.provider({ projectId: 'ffffffffffffffffffffffffffffffff' });
    await expect(provider.verifyCredentials()).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('retries the login after a transient identity failure', async () => {
    const sleeps: number[] = [];
    const provider = bed.provider({ sleep: async (ms) => void sleeps.push(ms) });
    bed.sim.server.faults.schedule(
      { kind: 'serverError', status: 503 },
      { match: { path: /^\/identity\// } },
    );
    await provider.api.listRegistries();
    expect(logins()).toBe(2);
    expect(sleeps).toHaveLength(1);
  });

  it('sends a token given directly, and surfaces its expiry as UnauthorizedError', async () => {
    const token = bed.sim.issueIamToken(TEST_PROJECT);
    const provider = bed.provider({ credentials: { token } });
    await provider.verifyCredentials();
    expect(logins()).toBe(0);
    bed.sim.expireIamTokens();
    await expect(provider.api.listRegistries()).rejects.toBeInstanceOf(UnauthorizedError);
    expect(craasCalls()).toBe(2);
  });
});
