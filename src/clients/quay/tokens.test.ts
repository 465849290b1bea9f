import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BadRequestError, ConflictError, ForbiddenError, ServerError } from '../http/errors.ts';
import { capabilitiesOf, type IssueRequest } from '../provider.ts';
import { type QuayHarness, startQuay } from './testing.ts';

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
    const access = h.sim.registryAccess.verify(issued.login.username, issued.login.password);
    expect(access?.('acme/fresh')).toEqual(['pull', 'push', 'delete']);
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

  it('applies scopes again to cover repositories created later', async () => {
    h.sim.addRepository('acme', 'team/api');
    const scopes = [{ repository: 'team/*', actions: ['pull' as const] }];
    const issued = await h.provider.tokens.issue(request('ci', scopes));
    h.sim.addRepository('acme', 'team/new');
    await h.provider.tokens.applyScopes(h.registry('acme'), issued.id, scopes);
    expect(h.sim.repository('acme', 'team/new')?.permissions.get(issued.id)).toBe('read');
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
