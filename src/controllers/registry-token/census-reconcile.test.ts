import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../clients/http/errors.ts';
import { censusKey } from './census-loop.ts';
import { TOKEN_UID, tokenObject, tokenWorld } from './fake-world.ts';
import { credentialName } from './names.ts';
import { ISSUING_ANNOTATION, ROTATE_REQUESTED_ANNOTATION } from './reasons.ts';

const HOUR = 3_600_000;
const KEY = 'shop/shop-pull';

/** The provider failed the way a lost answer looks: a 502 after it made the credential. */
function lostAnswer() {
  return new ProviderError('Bad Gateway', {
    provider: 'ionos',
    operation: 'tokens.create',
    method: 'POST',
    path: '/registries/reg-1/tokens',
    status: 502,
  });
}

/** The census's list of the world's registry, as it is now. */
async function snapshotOf(world: ReturnType<typeof tokenWorld>) {
  return world.census.fresh(censusKey(world.registry), world.clock.now(), () =>
    world.provider.tokens.listOwned({} as never, 'berth-'),
  );
}

describe('RegistryToken with the registry census (issue 19)', () => {
  it('deleting a token says Revoked, Normal, and warns of nothing', async () => {
    const world = tokenWorld();
    const status: Record<string, unknown> = {};
    await world.reconcile(tokenObject(), status);
    await world.reconcile(tokenObject({}, { annotations: { [ROTATE_REQUESTED_ANNOTATION]: 'now' } }), status);
    world.events.length = 0;
    world.provider.calls.length = 0;
    await world.reconcile(tokenObject(), status, { deleting: true });
    expect(world.provider.calls).toEqual(['revoke cred-2', 'revoke cred-1', 'listOwned']);
    expect(world.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Normal Revoked']);
    expect(world.provider.live.size).toBe(0);
  });

  it('after a restart, tokens whose issues a crash cut short share one list of the registry', async () => {
    const world = tokenWorld(); // a new process: its census starts now
    await world.clock.advance(1_000);
    const interrupted = (name: string, uid: string) =>
      tokenObject({}, { name, uid, annotations: { [ISSUING_ANNOTATION]: credentialName(uid, 1) } });
    const uids = ['6a0c1d9e-5b8a-4c3e-9f1a-0d6e4b2c8a71', '7b0c1d9e-5b8a-4c3e-9f1a-0d6e4b2c8a71'];
    await world.reconcile(interrupted('a', uids[0] as string), {});
    await world.clock.advance(1_000);
    await world.reconcile(interrupted('b', uids[1] as string), {});
    // One list settles both: each issue was cut short before this process started.
    expect(world.provider.calls.filter((c) => c === 'listOwned')).toHaveLength(1);
  });

  it('an issue whose answer was lost stays open until a sweep could look, then its credential goes', async () => {
    const world = tokenWorld();
    const tokens = world.provider.tokens;
    const issue = tokens.issue.bind(tokens);
    const listOwned = tokens.listOwned.bind(tokens);
    tokens.issue = async (request) => {
      await issue(request);
      throw lostAnswer();
    };
    tokens.listOwned = async () => {
      throw new ProviderError('Service Unavailable', {
        provider: 'ionos',
        operation: 'tokens.list',
        method: 'GET',
        path: '/registries/reg-1/tokens',
        status: 503,
      });
    };
    const status: Record<string, unknown> = {};
    await expect(world.reconcile(tokenObject(), status)).rejects.toBeDefined();
    // The sweep could not look: the issue is not called resolved, so it is looked for again.
    expect(status.issueResolved).toBeUndefined();
    expect(world.provider.live.size).toBe(1);

    tokens.issue = issue;
    tokens.listOwned = listOwned;
    await world.clock.advance(1_000);
    const interrupted = tokenObject(
      {},
      { annotations: { [ISSUING_ANNOTATION]: credentialName(TOKEN_UID, 1) } },
    );
    await world.reconcile(interrupted, status);
    expect(status.issueResolved).toBe(credentialName(TOKEN_UID, 1));
    expect(status.credentialName).toBe(credentialName(TOKEN_UID, 2));
    expect([...world.provider.live.values()].map((c) => c.name)).toEqual([credentialName(TOKEN_UID, 2)]);
    expect(world.events.map((e) => e.reason)).toContain('OrphanRevoked');
  });

  it('revokes a credential the provider committed after the sweep, when the census finds it', async () => {
    const world = tokenWorld();
    const status: Record<string, unknown> = {};
    await world.reconcile(tokenObject(), status);
    // Issue 2 was resolved without finding its credential, which the provider made later.
    status.issueResolved = credentialName(TOKEN_UID, 2);
    status.credentialName = credentialName(TOKEN_UID, 3);
    await world.provider.tokens.issue({
      registry: {} as never,
      name: credentialName(TOKEN_UID, 2),
      scopes: [],
    });
    await world.clock.advance(1_000);
    world.census.setFinding(KEY, { snapshot: await snapshotOf(world), orphans: 1 });
    world.provider.calls.length = 0;
    world.events.length = 0;
    await world.reconcile(tokenObject(), status);
    // The census's list serves: no list of its own.
    expect(world.provider.calls).toEqual(['revoke cred-2']);
    expect(world.events.map((e) => `${e.type} ${e.reason}`)).toEqual(['Warning OrphanRevoked']);
    expect(world.census.findingFor(KEY)).toBeUndefined();
  });

  it('replaces a credential the census found gone, after one look of its own', async () => {
    const world = tokenWorld();
    const status: Record<string, unknown> = {};
    await world.reconcile(tokenObject(), status);
    world.provider.live.clear(); // deleted at the provider
    await world.clock.advance(HOUR);
    const snapshot = await snapshotOf(world);
    world.census.setFinding(KEY, { snapshot, orphans: 0, suspect: { credentialId: 'cred-1', why: 'gone' } });
    world.provider.calls.length = 0;
    await world.reconcile(tokenObject(), status);
    expect(world.provider.calls).toEqual(['observe cred-1', `issue ${credentialName(TOKEN_UID, 2)}`]);
    expect(status.lastRotationReason).toBe('CredentialGone');
  });

  it('keeps a credential the census only thought gone (its list was older than the issue)', async () => {
    const world = tokenWorld();
    const status: Record<string, unknown> = {};
    await world.reconcile(tokenObject(), status);
    world.census.setFinding(KEY, {
      snapshot: { startedAt: world.clock.now() - 1_000, credentials: [], byId: new Map() },
      orphans: 0,
      suspect: { credentialId: 'cred-1', why: 'gone' },
    });
    world.provider.calls.length = 0;
    await world.reconcile(tokenObject(), status);
    expect(world.provider.calls).toEqual(['observe cred-1']);
    expect(status.credentialId).toBe('cred-1');
  });

  it('costs no provider request at all when nothing is due, however long it has been (IONOS)', async () => {
    const world = tokenWorld();
    const status: Record<string, unknown> = {};
    await world.reconcile(tokenObject(), status);
    await world.clock.advance(5 * HOUR); // well past the registry's observeInterval
    world.provider.calls.length = 0;
    world.api.writes.length = 0;
    const before = JSON.stringify(status);
    await world.reconcile(tokenObject(), status);
    expect(world.provider.calls).toEqual([]);
    expect(JSON.stringify(status)).toBe(before);
  });

  it('after a lost status write, adopts what the Secret holds with its login, not the old user name', async () => {
    const world = tokenWorld();
    const status: Record<string, unknown> = {};
    await world.reconcile(tokenObject(), status);
    expect(status.username).toBe(credentialName(TOKEN_UID, 1));
    // A rotation that issued 2 and wrote the Secret, whose status write never arrived.
    const rotate = { annotations: { [ROTATE_REQUESTED_ANNOTATION]: 'r1' } };
    await world.reconcile(tokenObject({}, rotate), structuredClone(status));
    const after = tokenObject(
      {},
      { annotations: { ...rotate.annotations, [ISSUING_ANNOTATION]: credentialName(TOKEN_UID, 2) } },
    );
    await world.reconcile(after, status);
    expect(status).toMatchObject({
      credentialId: 'cred-2',
      credentialName: credentialName(TOKEN_UID, 2),
      username: credentialName(TOKEN_UID, 2),
    });
    expect(world.events.map((e) => e.reason)).toContain('Recovered');
  });
});
