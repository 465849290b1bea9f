import { describe, expect, it } from 'vitest';
import type { ScopeUpdate, TokenScope, Tokens } from '../../clients/provider.ts';
import { WaitingError } from '../runtime/outcome.ts';
import { tokenObject, tokenWorld } from './fake-world.ts';
import type { TokenStatus } from './lifecycle.ts';
import { ROTATE_REQUESTED_ANNOTATION, TokenReason } from './reasons.ts';
import { recordScopes, SCOPE_RECHECK_MIN_MS, scopePollDueAt } from './scope-problems.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 30, 5, 0, 0);

describe('scopePollDueAt', () => {
  const base = { now: T0, observeMs: 10 * MINUTE };
  it('looks again one observeInterval after the last look when every scope is granted', () => {
    expect(scopePollDueAt({ ...base, checkedAt: T0, problemsSince: undefined })).toBe(T0 + 10 * MINUTE);
  });

  it('looks again within seconds while a scope problem is new, then backs off to the interval', () => {
    const since = T0;
    expect(scopePollDueAt({ ...base, checkedAt: T0, problemsSince: since })).toBe(T0 + SCOPE_RECHECK_MIN_MS);
    expect(scopePollDueAt({ ...base, checkedAt: T0 + 4 * MINUTE, problemsSince: since })).toBe(
      T0 + 5 * MINUTE,
    );
    expect(scopePollDueAt({ ...base, checkedAt: T0 + 3 * 60 * MINUTE, problemsSince: since })).toBe(
      T0 + 190 * MINUTE,
    );
  });

  it('is due at once for a credential never looked at', () => {
    expect(scopePollDueAt({ ...base, checkedAt: undefined, problemsSince: undefined })).toBe(T0);
  });
});

describe('recordScopes', () => {
  it('keeps since when the problems started while they last, and clears everything once granted', () => {
    const status: TokenStatus = {};
    expect(recordScopes(status, { problems: ['app: missing'], reachesNothing: true }, T0)).toBe(true);
    expect(status).toMatchObject({ scopeProblems: ['app: missing'], reachesNothing: true });
    const since = status.scopeProblemsSince;
    expect(recordScopes(status, { problems: ['app: missing'], reachesNothing: true }, T0 + MINUTE)).toBe(
      false,
    );
    expect(status.scopeProblemsSince).toBe(since);
    expect(recordScopes(status, { problems: [] }, T0 + 2 * MINUTE)).toBe(true);
    expect(status.scopeProblems).toBeUndefined();
    expect(status.scopeProblemsSince).toBeUndefined();
    expect(status.reachesNothing).toBeUndefined();
  });

  it('starts the quick looks again when a new problem appears, and keeps lines within the CRD limit', () => {
    const status: TokenStatus = {};
    recordScopes(status, { problems: ['team/*: no match'] }, T0);
    recordScopes(status, { problems: ['team/*: no match', `app: ${'x'.repeat(600)}`] }, T0 + 60 * MINUTE);
    expect(status.scopeProblemsSince).toBe(new Date(T0 + 60 * MINUTE).toISOString().replace('.000Z', 'Z'));
    expect(status.scopeProblems?.[1]).toHaveLength(512);
  });
});

/** Quay-like: grants only repositories that exist, and says what it could not reach. */
function grantingTokens(repositories: Set<string>) {
  const live = new Map<string, string>();
  const calls: string[] = [];
  const reach = (scopes: readonly TokenScope[]): ScopeUpdate => {
    const missing = scopes.filter((s) => !repositories.has(s.repository));
    return {
      problems: missing.map((s) => `${s.repository}: the repository does not exist yet`),
      reachesNothing: missing.length === scopes.length,
    };
  };
  const tokens: Tokens = {
    renewalModes: ['Rotate'],
    expires: false,
    expandsScopes: true,
    async issue({ name, scopes }) {
      calls.push(`issue ${name}`);
      live.set(`acme+${name}`, name);
      const login = { server: 'quay.example', username: `acme+${name}`, password: 'p' };
      return { id: `acme+${name}`, name, login, scopes: reach(scopes) };
    },
    async observe(_r, id) {
      calls.push('observe');
      const name = live.get(id);
      return name === undefined ? undefined : { id, name, enabled: true };
    },
    async listOwned() {
      return [...live].map(([id, name]) => ({ id, name, enabled: true }));
    },
    async revoke(_r, id) {
      live.delete(id);
    },
    async updateScopes(_r, _id, scopes) {
      calls.push('updateScopes');
      return reach(scopes);
    },
  };
  return { tokens, calls };
}

describe('a token whose credential reaches none of its scopes (issue 20)', () => {
  const pullApp = () => tokenObject({ scopes: [{ repository: 'app', actions: ['pull'] }] });

  it('is not Ready while its only repository does not exist, and is within seconds after it appears', async () => {
    const repositories = new Set<string>();
    const provider = grantingTokens(repositories);
    const world = tokenWorld({ tokens: provider.tokens });
    const status: Record<string, unknown> = {};
    const first = await world.reconcile(pullApp(), status).catch((err: unknown) => err);
    expect(first).toBeInstanceOf(WaitingError);
    expect((first as WaitingError).reason).toBe(TokenReason.NoAccess);
    expect((first as WaitingError).message).toContain('reaches none of its scopes: app: the repository');
    expect((first as WaitingError).afterMs).toBeLessThanOrEqual(SCOPE_RECHECK_MIN_MS);
    // The Secret is written all the same, so pulls work as soon as the grant is made.
    expect(world.api.secrets.has('shop/shop-pull')).toBe(true);
    expect(world.events.map((e) => e.reason)).toContain(TokenReason.ScopesNotGranted);

    repositories.add('app'); // a push token created it
    await world.clock.advance(SCOPE_RECHECK_MIN_MS);
    const second = await world.reconcile(pullApp(), status);
    expect(provider.calls).toContain('updateScopes');
    expect(second.message).toBe(`credential ${String(status.credentialName)} in Secret shop-pull`);
    expect(status.reachesNothing).toBeUndefined();
    expect(status.scopeProblems).toBeUndefined();
  });

  it('still revokes a replaced credential after its grace period while it reaches nothing', async () => {
    const provider = grantingTokens(new Set());
    const world = tokenWorld({ tokens: provider.tokens });
    const status: Record<string, unknown> = {};
    const token = (annotations: Record<string, string> = {}) =>
      tokenObject({ scopes: [{ repository: 'app', actions: ['pull'] }], gracePeriod: '5s' }, { annotations });
    await world.reconcile(token(), status).catch(() => undefined);
    await world.clock.advance(3 * 60 * MINUTE); // the problem is old: its next look is an interval away
    const rotated = await world
      .reconcile(token({ [ROTATE_REQUESTED_ANNOTATION]: 'r1' }), status)
      .catch((err: unknown) => err);
    expect((rotated as WaitingError).reason).toBe(TokenReason.NoAccess);
    expect(status.pendingRevocations).toHaveLength(1);
    // The wait is the only requeue: it must come back for the revocation, not at the next look.
    expect((rotated as WaitingError).afterMs).toBeLessThanOrEqual(5_000 + 1_000);
  });

  it('is Ready when some scopes are granted, names the missing ones, and looks again soon', async () => {
    const provider = grantingTokens(new Set(['app']));
    const world = tokenWorld({ tokens: provider.tokens });
    const status: Record<string, unknown> = {};
    const token = tokenObject({
      scopes: [
        { repository: 'app', actions: ['pull'] },
        { repository: 'later', actions: ['pull'] },
      ],
    });
    const result = await world.reconcile(token, status);
    expect(result.message).toContain('not granted: later: the repository does not exist yet');
    expect(result.requeueAfterMs).toBeLessThanOrEqual(SCOPE_RECHECK_MIN_MS);
    expect(status.reachesNothing).toBeUndefined();
  });
});
