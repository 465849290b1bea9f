import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type QuayHarness, startQuay } from '../../../test/support/providers/quay.ts';
import { BadRequestError, ConflictError, ForbiddenError, UnauthorizedError } from '../http/errors.ts';

let h: QuayHarness;
beforeEach(async () => {
  h = await startQuay();
});
afterEach(() => h.close());

describe('QuayRegistries (organizations)', () => {
  it('observes a missing organization as undefined', async () => {
    expect(await h.provider.registries.observe({ name: 'acme' }, h.desired('acme'))).toBeUndefined();
  });

  it('creates an organization that is ready at once, served from the registry host', async () => {
    const observed = await h.provider.registries.create(h.desired('acme', { email: 'ops@acme.example' }));
    expect(observed).toEqual({
      externalId: 'acme',
      name: 'acme',
      providerState: 'Active',
      ready: true,
      deleting: false,
      server: 'registry.test:5000',
      drift: [],
    });
    const org = h.sim.organization('acme');
    expect(org?.email).toBe('ops@acme.example');
    expect([...(org?.admins ?? [])]).toEqual([h.sim.username]);
    expect(h.sim.server.counts()['PUT /api/v1/organization/:org']).toBeUndefined();
  });

  it('issue 20: creates an organization without spec.quay.email, as Quay 3.18 does', async () => {
    // A real Quay v3.18.0 answered 201 to NewOrg without email (endpoints/api/organization.py).
    await h.provider.registries.create(h.desired('acme', { email: undefined }));
    expect(h.sim.organization('acme')).toBeDefined();
    const sent = h.sent.find((r) => r.method === 'POST' && r.path.endsWith('/organization/'));
    expect(sent?.body).toEqual({ name: 'acme' });
  });

  it('issue 20: on a Quay that needs an e-mail (3.17 with mailing on), says to set spec.quay.email', async () => {
    const old = await startQuay({ organizationEmailRules: '3.17', mailing: true });
    try {
      const err = await old.provider.registries
        .create(old.desired('acme', { email: undefined }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as Error).message).toMatch(/needs a contact e-mail .*set spec\.quay\.email/);
      expect(old.sim.organization('acme')).toBeUndefined();
    } finally {
      await old.close();
    }
    // Adopting needs none: an existing organization is only observed.
    h.sim.addOrganization('acme');
    const adopted = await h.provider.registries.observe(
      { name: 'acme' },
      h.desired('acme', { email: undefined }),
    );
    expect(adopted?.ready).toBe(true);
  });

  it('sets the time machine on create and reports and repairs drift', async () => {
    await h.provider.registries.create(h.desired('acme', { timeMachineExpiration: '1w' }));
    expect(h.sim.organization('acme')?.tagExpirationS).toBe(604_800);

    const desired = h.desired('acme', { timeMachineExpiration: '4w' });
    const drifted = await h.provider.registries.observe({ name: 'acme', externalId: 'acme' }, desired);
    expect(drifted?.drift).toEqual(['timeMachineExpiration']);
    const updated = await h.provider.registries.update({ name: 'acme', externalId: 'acme' }, desired);
    expect(updated.drift).toEqual([]);
    expect(h.sim.organization('acme')?.tagExpirationS).toBe(2_419_200);

    // Up to date: no PUT at all.
    const puts = h.sim.server.counts()['PUT /api/v1/organization/:org'];
    await h.provider.registries.update({ name: 'acme', externalId: 'acme' }, desired);
    expect(h.sim.server.counts()['PUT /api/v1/organization/:org']).toBe(puts);
  });

  it('rejects a time machine value the instance does not offer', async () => {
    h.sim.addOrganization('acme');
    const desired = h.desired('acme', { timeMachineExpiration: '3d' });
    await expect(h.provider.registries.update({ name: 'acme', externalId: 'acme' }, desired)).rejects.toThrow(
      BadRequestError,
    );
  });

  it('reports a taken name as ConflictError', async () => {
    h.sim.addOrganization('acme', { admins: ['someone-else'] });
    await expect(h.provider.registries.create(h.desired('acme'))).rejects.toBeInstanceOf(ConflictError);
  });

  it('refuses to manage an organization the token does not administer', async () => {
    h.sim.addOrganization('acme', { admins: ['someone-else'] });
    await expect(h.provider.registries.observe({ name: 'acme' }, h.desired('acme'))).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });

  it('sees an invalid token only as a public view (Quay answers 200), and verifyCredentials says 401', async () => {
    h.sim.addOrganization('acme');
    const wrong = h.connect({ token: 'not-a-valid-token' });
    await expect(wrong.registries.observe({ name: 'acme' }, h.desired('acme'))).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(wrong.verifyCredentials()).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(h.provider.verifyCredentials()).resolves.toBeUndefined();
  });

  it('needs user:admin to create organizations', async () => {
    h.sim.addToken('org-only', {
      username: h.sim.username,
      scopes: ['org:admin', 'repo:admin', 'repo:create'],
    });
    const limited = h.connect({ token: 'org-only' });
    await expect(limited.registries.create(h.desired('acme'))).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('deletes idempotently although Quay answers 403 for a missing organization', async () => {
    await h.provider.registries.create(h.desired('acme'));
    await h.provider.registries.delete({ name: 'acme', externalId: 'acme' }, h.desired('acme'));
    expect(h.sim.organization('acme')).toBeUndefined();
    await h.provider.registries.delete({ name: 'acme', externalId: 'acme' }, h.desired('acme'));
    expect(h.sim.server.log.at(-2)?.status).toBe(403);
    expect(h.sim.server.log.at(-1)?.status).toBe(404);
  });

  it('does not hide a 403 on delete when the organization exists (missing rights)', async () => {
    h.sim.addOrganization('acme', { admins: ['someone-else'] });
    await expect(
      h.provider.registries.delete({ name: 'acme', externalId: 'acme' }, h.desired('acme')),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });
});
