import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../clients/http/errors.ts';
import type { Provider, TokenRegistry, Tokens } from '../../clients/provider.ts';
import type { RegistryToken } from '../../crds/registry-token.ts';
import { FakeClock } from '../runtime/clock.ts';
import type { ReconcileRequest } from '../runtime/controller.ts';
import { TerminalError, TransientError } from '../runtime/outcome.ts';
import { CredentialCensus } from './census.ts';
import { type CredentialContext, interruptedIssue, issueNext, type TokenStatus } from './lifecycle.ts';
import { credentialName } from './names.ts';

const UID = '0a1b2c3d-0000-4000-8000-000000000000';
const name = (n: number) => credentialName(UID, n);

/** Quay-like credentials: names are unique, create is never idempotent. */
function fakeTokens(existing: string[]) {
  const live = new Set(existing);
  const issued: string[] = [];
  const tokens: Tokens = {
    renewalModes: ['Rotate'],
    expires: false,
    async issue({ name }) {
      if (live.has(name))
        throw new ConflictError(`Existing robot with name: acme+${name}`, {
          provider: 'quay',
          operation: 'robots.create',
          method: 'PUT',
          path: `/organization/acme/robots/${name}`,
          status: 400,
        });
      live.add(name);
      issued.push(name);
      return { id: name, name, login: { server: 'r.example', username: name, password: 'p' } };
    },
    async observe(_r, id) {
      return live.has(id) ? { id, name: id, enabled: true } : undefined;
    },
    async listOwned(_r, prefix) {
      return [...live].filter((n) => n.startsWith(prefix)).map((id) => ({ id, name: id, enabled: true }));
    },
    async revoke(_r, id) {
      live.delete(id);
    },
  };
  return { tokens, live, issued };
}

function context(status: TokenStatus, tokens: Tokens, recordIntent: () => Promise<void>): CredentialContext {
  const object = { metadata: { name: 't', namespace: 'ns', uid: UID }, spec: { scopes: [] } };
  const req = {
    object: object as unknown as RegistryToken,
    status,
    logger: pino({ level: 'silent' }),
    recordEvent: async () => undefined,
    now: () => Date.UTC(2026, 0, 1),
    persistStatus: async () => undefined,
    recordIntent,
    waitShared: <W>(work: Promise<W>) => work,
  } as unknown as ReconcileRequest<RegistryToken>;
  const provider = { name: 'quay', tokens } as unknown as Provider;
  return {
    req,
    status,
    provider,
    registry: {} as TokenRegistry,
    credentialsSecret: 'api',
    census: new CredentialCensus(new FakeClock(Date.UTC(2026, 0, 1))),
    censusKey: 'ns/registry@1',
  };
}

describe('issueNext', () => {
  it('creates nothing when the intent cannot be recorded because the status it read was stale', async () => {
    // The cache still held the status before the last rotation (current: 2, in the Secret: 3).
    const { tokens, live, issued } = fakeTokens([name(2), name(3)]);
    const conflict = Object.assign(new Error('the object has been modified'), { code: 409 });
    const ctx = context({ credentialId: name(2), credentialName: name(2) }, tokens, () =>
      Promise.reject(conflict),
    );
    await expect(issueNext(ctx, undefined)).rejects.toBe(conflict);
    expect(issued).toEqual([]);
    expect([...live]).toEqual([name(2), name(3)]); // the Secret's credential 3 is untouched
  });

  it('retries a name an earlier, lost attempt took, instead of stalling on it', async () => {
    const { tokens, live } = fakeTokens([name(1), name(2)]); // 2: created, but its answer was lost
    const ctx = context({ credentialId: name(1), credentialName: name(1) }, tokens, async () => undefined);
    const failure = await issueNext(ctx, undefined).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(TransientError);
    expect(failure).not.toBeInstanceOf(TerminalError);
    expect([...live]).toEqual([name(1)]); // the orphan went; the current credential stayed
    await expect(issueNext(ctx, undefined)).resolves.toMatchObject({ name: name(2) });
  });

  it('waits for the shared list of the registry without holding a worker', async () => {
    const { tokens, live } = fakeTokens([name(1), name(2)]); // 2: created, but its answer was lost
    const ctx = context({ credentialId: name(1), credentialName: name(1) }, tokens, async () => undefined);
    const parked: Promise<unknown>[] = [];
    ctx.req.waitShared = <W>(work: Promise<W>) => {
      parked.push(work);
      return work;
    };
    await issueNext(ctx, undefined).catch(() => undefined);
    // The sweep after the failed create awaited the census list through the queue's park.
    expect(parked).toHaveLength(1);
    expect([...live]).toEqual([name(1)]);
  });

  it('never reuses the name of a credential still in its grace period', async () => {
    const { tokens } = fakeTokens([name(3), name(4)]);
    const status: TokenStatus = {
      credentialId: name(3),
      credentialName: name(3),
      pendingRevocations: [
        { credentialId: name(4), credentialName: name(4), revokeAfter: '2026-01-01T00:01:00Z' },
      ],
    };
    await expect(
      issueNext(
        context(status, tokens, async () => undefined),
        undefined,
      ),
    ).resolves.toMatchObject({
      name: name(5),
    });
  });
});

describe('interruptedIssue: was an issue cut short before status named its credential?', () => {
  const revoke = (credentialName: string) => ({ credentialId: 'x', credentialName, revokeAfter: 'x' });
  it.each<[string, string | undefined, TokenStatus, string | undefined]>([
    ['never issued', undefined, {}, undefined],
    ['the issue finished', name(2), { credentialName: name(2) }, undefined],
    ['cut short: status still names the one before', name(2), { credentialName: name(1) }, name(2)],
    ['cut short on the very first issue', name(1), {}, name(1)],
    [
      'finished and already replaced',
      name(2),
      { credentialName: name(3), pendingRevocations: [revoke(name(2))] },
      undefined,
    ],
    [
      'cut short, and cleaned up after',
      name(2),
      { credentialName: name(1), issueResolved: name(2) },
      undefined,
    ],
    [
      'recorded by an older berth in status',
      undefined,
      { pendingIssue: { credentialName: name(4), startedAt: 'x' } },
      name(4),
    ],
  ])('%s', (_what, issuing, status, expected) => {
    expect(interruptedIssue(issuing, status)).toBe(expected);
  });
});
