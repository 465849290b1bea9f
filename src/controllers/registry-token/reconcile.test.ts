import { describe, expect, it } from 'vitest';
import { TerminalError } from '../runtime/outcome.ts';
import { TOKEN_UID, tokenObject, tokenWorld } from './fake-world.ts';
import { credentialName } from './names.ts';
import { ISSUING_ANNOTATION, SecretAnnotation } from './reasons.ts';

const HOUR = 3_600_000;

describe('RegistryToken reconciler on fake ports', () => {
  it('issues a new token with one provider call and two writes before the status', async () => {
    const world = tokenWorld();
    const status: Record<string, unknown> = {};
    const result = await world.reconcile(tokenObject(), status);
    expect(world.provider.calls).toEqual([`issue ${credentialName(TOKEN_UID, 1)}`]);
    // The intent travels with the finalizer; the controller then writes the status once.
    expect(world.api.writes).toEqual([
      `intent ${credentialName(TOKEN_UID, 1)}`,
      'create secret shop/shop-pull',
    ]);
    expect(status).toMatchObject({ credentialId: 'cred-1', secretName: 'shop-pull' });
    expect(result.requeueAfterMs).toBeGreaterThan(0);
  });

  it('makes no provider call and no write when nothing is due', async () => {
    const world = tokenWorld();
    const status: Record<string, unknown> = {};
    await world.reconcile(tokenObject(), status);
    world.provider.calls.length = 0;
    world.api.writes.length = 0;
    await world.reconcile(tokenObject(), status);
    expect(world.provider.calls).toEqual([]);
    expect(world.api.writes).toEqual(['finalizer']);
  });

  it('rotates when Extend finds the credential gone at the provider (a 404 keeps its cause)', async () => {
    const world = tokenWorld();
    const token = tokenObject({ renewal: 'Extend', lifetime: '24h', renewBefore: '1h' });
    const status: Record<string, unknown> = {};
    await world.reconcile(token, status);
    world.provider.live.clear(); // IONOS deletes expired tokens
    await world.clock.advance(23 * HOUR + 1);
    // The poll would notice too; here the renewal comes first.
    status.credentialCheckedAt = new Date(world.clock.now()).toISOString();
    await world.reconcile(token, status);
    expect(world.provider.calls).toContain('extend cred-1');
    expect(status.credentialId).toBe('cred-2');
    const secret = world.api.secrets.get('shop/shop-pull');
    expect(secret?.metadata?.annotations?.[SecretAnnotation.CredentialId]).toBe('cred-2');
  });

  it('refuses a Secret of the same name that is not berth’s before anything is issued', async () => {
    const world = tokenWorld();
    // Not labelled as berth's, so no cache holds it: only the live read before the issue sees it.
    world.api.secrets.set('shop/shop-pull', { metadata: { name: 'shop-pull', namespace: 'shop' } });
    const err = await world.reconcile(tokenObject(), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as TerminalError).reason).toBe('SecretConflict');
    expect(world.provider.calls).toEqual([]);
    expect(world.api.writes).toEqual([]);
  });

  it('after a crash between intent and status, revokes the credential the intent named', async () => {
    const world = tokenWorld();
    const crashed = credentialName(TOKEN_UID, 1);
    // The provider made the credential; the process died before the Secret and status were written.
    await world.provider.tokens.issue({
      registry: {} as never,
      name: crashed,
      scopes: [],
      expiresAt: new Date(world.clock.now() + 24 * HOUR),
    });
    world.provider.calls.length = 0;
    const status: Record<string, unknown> = {};
    await world.reconcile(tokenObject({}, { annotations: { [ISSUING_ANNOTATION]: crashed } }), status);
    expect(world.provider.calls).toEqual([
      'listOwned',
      'revoke cred-1',
      `issue ${credentialName(TOKEN_UID, 2)}`,
    ]);
    expect(status.credentialId).toBe('cred-2');
    expect(world.events.map((e) => e.reason)).toContain('OrphanRevoked');
  });

  it('after a crash whose issue never reached the provider, just issues', async () => {
    const world = tokenWorld();
    const status: Record<string, unknown> = {};
    const token = tokenObject({}, { annotations: { [ISSUING_ANNOTATION]: credentialName(TOKEN_UID, 1) } });
    await world.reconcile(token, status);
    expect(world.provider.calls).toEqual(['listOwned', `issue ${credentialName(TOKEN_UID, 2)}`]);
    expect(world.events.map((e) => e.reason)).not.toContain('OrphanRevoked');
  });
});
