import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LONGEST_CREDENTIAL_NAME,
  OWNED_UNDER_PREFIX,
  SAMPLE_CREDENTIAL_NAMES,
} from '../../../test/support/credential-names.ts';
import { type QuayHarness, startQuay } from '../../../test/support/providers/quay.ts';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ServerError,
} from '../http/errors.ts';
import { capabilitiesOf, type IssueRequest, type TokenScope } from '../provider.ts';

let h: QuayHarness;
beforeEach(async () => {
  h = await startQuay();
  h.sim.addOrganization('acme');
});
afterEach(() => h.close());

function request(name: string, scopes: IssueRequest['scopes']): IssueRequest {
  return { registry: h.registry('acme'), name, scopes };
}

describe('QuayTokens (robot accounts)', () => {
  it('declares robots as non-expiring, renewable by rotation only', () => {
    expect(h.provider.tokens.expires).toBe(false);
    expect(h.provider.tokens.renewalModes).toEqual(['Rotate']);
    expect(capabilitiesOf(h.provider)).toEqual({ images: true, garbageCollection: false, extend: false });
  });

  it('issues a robot whose docker login is org+name and the robot token', async () => {
    h.sim.addRepository('acme', 'api');
    const issued = await h.provider.tokens.issue(
      request('shop-pull', [{ repository: 'api', actions: ['pull'] }]),
    );
    const robot = h.sim.robot('acme', 'shop-pull');
    expect(issued).toEqual({
      id: 'acme+shop-pull',
      name: 'shop-pull',
      login: { server: 'registry.test:5000', username: 'acme+shop-pull', password: robot?.token },
      scopes: { problems: [], reachesNothing: false },
    });
    expect(robot?.token).toMatch(/^[A-Z0-9]{64}$/);
    expect(robot?.metadata).toEqual({ 'managed-by': 'berth' });
    expect(h.sim.repository('acme', 'api')?.permissions.get('acme+shop-pull')).toBe('read');
    const access = h.sim.registryAccess.verify(issued.login.username, issued.login.password);
    expect(access?.('acme/api')).toEqual(['pull']);
    expect(access?.('other/api')).toEqual([]);
  });

  it('expands patterns, upgrades push to write and creates missing exact push repositories', async () => {
    for (const name of ['team/api', 'team/web', 'misc']) h.sim.addRepository('acme', name);
    const issued = await h.provider.tokens.issue(
      request('builder', [
        { repository: 'team/*', actions: ['pull'] },
        { repository: 'team/web', actions: ['push'] },
        { repository: 'fresh', actions: ['pull', 'push', 'delete'] },
        { repository: 'absent', actions: ['pull'] },
      ]),
    );
    const role = (repo: string) => h.sim.repository('acme', repo)?.permissions.get(issued.id);
    expect([role('team/api'), role('team/web'), role('fresh'), role('misc')]).toEqual([
      'read',
      'write',
      'write',
      undefined,
    ]);
    expect(h.sim.repository('acme', 'fresh')?.visibility).toBe('private');
    expect(h.sim.repository('acme', 'absent')).toBeUndefined();
    expect(issued.scopes).toEqual({
      problems: [
        'absent: the repository does not exist yet (a pull scope does not create it); granted when it exists',
      ],
      reachesNothing: false,
    });
    const access = h.sim.registryAccess.verify(issued.login.username, issued.login.password);
    expect(access?.('acme/fresh')).toEqual(['pull', 'push', 'delete']);
  });

  it('says when a robot reaches no repository at all, and grants it once the repository exists', async () => {
    const pullApp: TokenScope[] = [{ repository: 'app', actions: ['pull'] }];
    const issued = await h.provider.tokens.issue(request('early', pullApp));
    expect(issued.scopes?.reachesNothing).toBe(true);
    const access = () => h.sim.registryAccess.verify(issued.login.username, issued.login.password);
    expect(access()?.('acme/app')).toEqual([]);
    const before = await h.provider.tokens.updateScopes(h.registry('acme'), issued.id, pullApp);
    expect(before.reachesNothing).toBe(true);
    h.sim.addRepository('acme', 'app'); // pushed by another token
    const after = await h.provider.tokens.updateScopes(h.registry('acme'), issued.id, pullApp);
    expect(after).toEqual({ problems: [], reachesNothing: false });
    expect(access()?.('acme/app')).toEqual(['pull']);
  });

  it('turns "Existing robot" into ConflictError and never sends an invalid name', async () => {
    await h.provider.tokens.issue(request('ci', []));
    await expect(h.provider.tokens.issue(request('ci', []))).rejects.toBeInstanceOf(ConflictError);
    const before = h.sim.server.log.length;
    await expect(h.provider.tokens.issue(request('Bad Name', []))).rejects.toBeInstanceOf(BadRequestError);
    expect(h.sim.server.log.length).toBe(before);
  });

  it('observes robots without their token, and missing robots or organizations as undefined', async () => {
    const issued = await h.provider.tokens.issue(request('ci', []));
    const observed = await h.provider.tokens.observe(h.registry('acme'), issued.id);
    expect(observed).toEqual({ id: 'acme+ci', name: 'ci', enabled: true, expiresAt: undefined });
    expect(JSON.stringify(observed)).not.toContain(issued.login.password);
    expect(await h.provider.tokens.observe(h.registry('acme'), 'acme+nobody')).toBeUndefined();
    expect(await h.provider.tokens.observe(h.registry('acme'), 'other+ci')).toBeUndefined();
    expect(await h.provider.tokens.observe(h.registry('gone'), 'gone+ci')).toBeUndefined();
  });

  it('does not mistake missing rights for a missing robot', async () => {
    h.sim.addOrganization('foreign', { admins: ['someone-else'] });
    await expect(h.provider.tokens.observe(h.registry('foreign'), 'foreign+ci')).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });

  it('lists the robots owned by prefix with one request', async () => {
    for (const name of ['berth-a-1', 'berth-a-2', 'berth-b-1'])
      await h.provider.tokens.issue(request(name, []));
    h.sim.addRobot('acme', 'manual');
    const before = h.sim.server.counts()['GET /api/v1/organization/:org/robots'] ?? 0;
    const owned = await h.provider.tokens.listOwned(h.registry('acme'), 'berth-a-');
    expect(owned.map((c) => c.id).sort()).toEqual(['acme+berth-a-1', 'acme+berth-a-2']);
    expect(h.sim.server.counts()['GET /api/v1/organization/:org/robots']).toBe(before + 1);
    expect(await h.provider.tokens.listOwned(h.registry('gone'), 'berth-')).toEqual([]);
  });

  it('finds berth names of both forms under each prefix a sweep passes, by short name', async () => {
    for (const name of SAMPLE_CREDENTIAL_NAMES) await h.provider.tokens.issue(request(name, []));
    for (const [prefix, names] of OWNED_UNDER_PREFIX) {
      const owned = await h.provider.tokens.listOwned(h.registry('acme'), prefix);
      expect(owned.map((c) => c.name).sort()).toEqual(names);
      expect(owned.map((c) => c.id).sort()).toEqual(names.map((name) => `acme+${name}`));
    }
  });

  it('issues the longest name berth gives: the docker login is org+name', async () => {
    const issued = await h.provider.tokens.issue(request(LONGEST_CREDENTIAL_NAME, []));
    expect(issued.login.username).toBe(`acme+${LONGEST_CREDENTIAL_NAME}`);
    expect(h.sim.robot('acme', LONGEST_CREDENTIAL_NAME)).toBeDefined();
  });

  it('revokes idempotently: a missing robot (400) or organization (403) is fine', async () => {
    const issued = await h.provider.tokens.issue(request('ci', []));
    await h.provider.tokens.revoke(h.registry('acme'), issued.id);
    expect(h.sim.robot('acme', 'ci')).toBeUndefined();
    expect(h.sim.registryAccess.verify(issued.login.username, issued.login.password)).toBeUndefined();
    await h.provider.tokens.revoke(h.registry('acme'), issued.id);
    expect(h.sim.server.log.at(-1)?.status).toBe(400);
    await h.provider.tokens.revoke(h.registry('gone'), 'gone+ci');
  });

  it('removes the grants with the robot', async () => {
    h.sim.addRepository('acme', 'api');
    const issued = await h.provider.tokens.issue(request('ci', [{ repository: 'api', actions: ['push'] }]));
    await h.provider.tokens.revoke(h.registry('acme'), issued.id);
    expect(h.sim.repository('acme', 'api')?.permissions.has(issued.id)).toBe(false);
  });

  it('regenerates: the old token is refused at once, the new one works', async () => {
    h.sim.addRepository('acme', 'api');
    const issued = await h.provider.tokens.issue(request('ci', [{ repository: 'api', actions: ['pull'] }]));
    const renewed = await h.provider.tokens.regenerate(h.registry('acme'), issued.id);
    expect(renewed.login.password).not.toBe(issued.login.password);
    expect(renewed.login.username).toBe('acme+ci');
    expect(h.sim.registryAccess.verify('acme+ci', issued.login.password)).toBeUndefined();
    expect(h.sim.registryAccess.verify('acme+ci', renewed.login.password)?.('acme/api')).toEqual(['pull']);
    await expect(h.provider.tokens.regenerate(h.registry('acme'), 'acme+nobody')).rejects.toBeInstanceOf(
      BadRequestError,
    );
  });

  it('deletes the robot again when a grant fails, then rethrows', async () => {
    h.sim.addRepository('acme', 'api');
    h.sim.server.faults.schedule(
      { kind: 'serverError', status: 500 },
      { times: 10, match: { method: 'PUT', path: /permissions/ } },
    );
    await expect(
      h.provider.tokens.issue(request('ci', [{ repository: 'api', actions: ['pull'] }])),
    ).rejects.toBeInstanceOf(ServerError);
    expect(h.sim.robot('acme', 'ci')).toBeUndefined();
  });
});

describe('issue #12 item 3: Quay wildcard grants freeze at issue time (updateScopes)', () => {
  const pullTeam: TokenScope[] = [{ repository: 'team/*', actions: ['pull'] }];
  const role = (repo: string, id = 'acme+ci') => h.sim.repository('acme', repo)?.permissions.get(id);
  /** Requests that change something at Quay since `from` (an index into the simulator's log). */
  const writesSince = (from: number) => h.sim.server.log.slice(from).filter((r) => r.method !== 'GET');

  it('declares that scope patterns are expanded, so the controller keeps them in sync', () => {
    expect(h.provider.tokens.expandsScopes).toBe(true);
  });

  it('a repository created after issue is granted by updateScopes', async () => {
    h.sim.addRepository('acme', 'team/api');
    const issued = await h.provider.tokens.issue(request('ci', pullTeam));
    h.sim.addRepository('acme', 'team/new');
    expect(role('team/new')).toBeUndefined();
    const update = await h.provider.tokens.updateScopes(h.registry('acme'), issued.id, pullTeam);
    expect(update).toEqual({ problems: [], reachesNothing: false });
    expect([role('team/api'), role('team/new')]).toEqual(['read', 'read']);
    const access = h.sim.registryAccess.verify(issued.login.username, issued.login.password);
    expect(access?.('acme/team/new')).toEqual(['pull']);
  });

  it('a grant removed (or changed) by hand is restored', async () => {
    for (const repo of ['team/api', 'team/web']) h.sim.addRepository('acme', repo);
    const issued = await h.provider.tokens.issue(request('ci', pullTeam));
    h.sim.repository('acme', 'team/api')?.permissions.delete(issued.id);
    h.sim.repository('acme', 'team/web')?.permissions.set(issued.id, 'admin');
    await h.provider.tokens.updateScopes(h.registry('acme'), issued.id, pullTeam);
    expect([role('team/api'), role('team/web')]).toEqual(['read', 'read']);
  });

  it('a repository leaving the scope loses its grant, and other users keep theirs', async () => {
    for (const repo of ['team/api', 'misc']) h.sim.addRepository('acme', repo);
    const scopes: TokenScope[] = [...pullTeam, { repository: 'misc', actions: ['pull', 'push'] }];
    const issued = await h.provider.tokens.issue(request('ci', scopes));
    await h.provider.tokens.issue(request('other', [{ repository: 'misc', actions: ['pull'] }]));
    expect(role('misc')).toBe('write');
    await h.provider.tokens.updateScopes(h.registry('acme'), issued.id, pullTeam);
    expect([role('team/api'), role('misc'), role('misc', 'acme+other')]).toEqual(['read', undefined, 'read']);
    expect(h.sim.registryAccess.verify(issued.login.username, issued.login.password)?.('acme/misc')).toEqual(
      [],
    );
  });

  it('a steady state makes no write calls: one permissions read and the repository list', async () => {
    for (const repo of ['team/api', 'team/web']) h.sim.addRepository('acme', repo);
    const scopes: TokenScope[] = [...pullTeam, { repository: 'fresh', actions: ['push'] }];
    const issued = await h.provider.tokens.issue(request('ci', scopes));
    await h.provider.tokens.updateScopes(h.registry('acme'), issued.id, scopes);
    const from = h.sim.server.log.length;
    expect(await h.provider.tokens.updateScopes(h.registry('acme'), issued.id, scopes)).toEqual({
      problems: [],
      reachesNothing: false,
    });
    expect(writesSince(from)).toEqual([]);
    expect(h.sim.server.log.slice(from).map((r) => r.route)).toEqual([
      'GET /api/v1/organization/:org/robots/:robot/permissions',
      'GET /api/v1/repository',
    ]);
  });

  it('creates a missing exact push repository as issue() does, and only writes the differences', async () => {
    h.sim.addRepository('acme', 'team/api');
    const issued = await h.provider.tokens.issue(request('ci', pullTeam));
    const scopes: TokenScope[] = [...pullTeam, { repository: 'fresh', actions: ['push'] }];
    const from = h.sim.server.log.length;
    await h.provider.tokens.updateScopes(h.registry('acme'), issued.id, scopes);
    expect(writesSince(from).map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v1/repository',
      'PUT /api/v1/repository/acme/fresh/permissions/user/acme%2Bci',
    ]);
    expect([role('fresh'), h.sim.repository('acme', 'fresh')?.visibility]).toEqual(['write', 'private']);
  });

  it('reports a repository it cannot put in place and grants the rest; throws only when all fail', async () => {
    for (const repo of ['team/api', 'team/web']) h.sim.addRepository('acme', repo);
    const issued = await h.provider.tokens.issue(request('ci', []));
    // A grant's 500 is tried once, the repository looked up (it exists), then tried 1 + 3 times.
    h.sim.server.faults.schedule(
      { kind: 'serverError', status: 500 },
      { times: 5, match: { method: 'PUT', path: /team%2Fapi/ } },
    );
    const update = await h.provider.tokens.updateScopes(h.registry('acme'), issued.id, pullTeam);
    expect(update.problems).toHaveLength(1);
    expect(update.problems[0]).toMatch(/^team\/api: /);
    expect([role('team/api'), role('team/web')]).toEqual([undefined, 'read']);
    // Every PUT fails (each tried 1 + 1 + 3 times): nothing was put in place, so the error is thrown.
    h.sim.repository('acme', 'team/web')?.permissions.delete(issued.id);
    h.sim.server.faults.schedule(
      { kind: 'serverError', status: 500 },
      { times: 10, match: { method: 'PUT' } },
    );
    await expect(
      h.provider.tokens.updateScopes(h.registry('acme'), issued.id, pullTeam),
    ).rejects.toBeInstanceOf(ServerError);
  });

  it('without the user:admin scope, compares by repository from the robot list and says so once', async () => {
    const warnings: string[] = [];
    const logger = {
      debug: () => undefined,
      warn: (_o: unknown, msg?: string) => void warnings.push(msg ?? ''),
    };
    const scopes = ['org:admin', 'repo:admin', 'repo:create', 'repo:read'] as const;
    h.sim.addToken('no-user-admin', { username: h.sim.username, scopes: [...scopes] });
    const limited = h.connect({ token: 'no-user-admin', logger });
    for (const repo of ['team/api', 'team/web']) h.sim.addRepository('acme', repo);
    const issued = await limited.tokens.issue(request('ci', pullTeam));
    h.sim.repository('acme', 'team/api')?.permissions.delete(issued.id);
    h.sim.addRepository('acme', 'team/new');
    for (let poll = 0; poll < 2; poll++)
      expect(await limited.tokens.updateScopes(h.registry('acme'), issued.id, pullTeam)).toEqual({
        problems: [],
        reachesNothing: false,
      });
    expect([role('team/api'), role('team/web'), role('team/new')]).toEqual(['read', 'read', 'read']);
    expect(warnings.filter((w) => /user:admin/.test(w))).toHaveLength(1);
    const counts = h.sim.server.counts();
    expect(counts['GET /api/v1/organization/:org/robots/:robot/permissions']).toBe(1);
    expect(counts['GET /api/v1/organization/:org/robots']).toBe(2);
  });

  it('treats a missing robot or organization as NotFoundError and a foreign ID as BadRequestError', async () => {
    await expect(
      h.provider.tokens.updateScopes(h.registry('acme'), 'acme+ghost', pullTeam),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      h.provider.tokens.updateScopes(h.registry('gone'), 'gone+ci', pullTeam),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      h.provider.tokens.updateScopes(h.registry('acme'), 'other+ci', pullTeam),
    ).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe('issue #12 item 7: Quay missing robot (404 as the seed lists, 400 as the source answers)', () => {
  // Seed 004, 2.14.13 get /api/v1/organization/{orgname}/robots/{robot_shortname} and 2.14.12 delete:
  // "404 | Not found". The simulator answers that way when started with missingRobotStatus: 404.
  it('observe() and revoke() treat a 404 robot as missing', async () => {
    const seedLike = await startQuay({ missingRobotStatus: 404 });
    try {
      seedLike.sim.addOrganization('acme');
      const registry = seedLike.registry('acme');
      expect(await seedLike.provider.tokens.observe(registry, 'acme+gone')).toBeUndefined();
      await expect(seedLike.provider.tokens.revoke(registry, 'acme+gone')).resolves.toBeUndefined();
      expect(seedLike.sim.server.log.map((r) => r.status)).toEqual([404, 404]);
    } finally {
      await seedLike.close();
    }
  });
});

describe('issue #12 item 8: Quay free plans (spec.quay.repositoryVisibility)', () => {
  const push: TokenScope[] = [{ repository: 'app', actions: ['pull', 'push'] }];

  it('with visibility Public on a free plan, a push-scoped token is issued and its repository is public', async () => {
    const free = await startQuay({ plan: 'free' });
    try {
      free.sim.addOrganization('acme');
      const registry = free.registry('acme', { repositoryVisibility: 'Public' });
      const issued = await free.provider.tokens.issue({ registry, name: 'ci', scopes: push });
      expect(free.sim.repository('acme', 'app')?.visibility).toBe('public');
      const access = free.sim.registryAccess.verify(issued.login.username, issued.login.password);
      expect(access?.('acme/app')).toEqual(['pull', 'push', 'delete']);
    } finally {
      await free.close();
    }
  });

  it('with Private on a free plan, the 402 is a BadRequestError naming the field to change', async () => {
    const free = await startQuay({ plan: 'free' });
    try {
      free.sim.addOrganization('acme');
      const registry = free.registry('acme');
      const err = await free.provider.tokens.issue({ registry, name: 'ci', scopes: push }).catch((e) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err.message).toMatch(/402 exceeds_license.*spec\.quay\.repositoryVisibility: Public/);
      expect(err.context).toMatchObject({ status: 402, code: 'exceeds_license' });
      expect(free.sim.robot('acme', 'ci')).toBeUndefined();
      // The same repository on every poll: a problem line, not a failure of the other grants.
      free.sim.addRepository('acme', 'team/api');
      const issued = await free.provider.tokens.issue({ registry, name: 'ci', scopes: [] });
      const scopes: TokenScope[] = [...push, { repository: 'team/*', actions: ['pull'] }];
      const update = await free.provider.tokens.updateScopes(registry, issued.id, scopes);
      expect(update.problems).toEqual([expect.stringMatching(/^app: .*spec\.quay\.repositoryVisibility/)]);
      expect(free.sim.repository('acme', 'team/api')?.permissions.get(issued.id)).toBe('read');
    } finally {
      await free.close();
    }
  });
});
