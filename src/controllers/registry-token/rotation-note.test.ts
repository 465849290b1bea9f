import { describe, expect, it } from 'vitest';
import { tokenObject, tokenWorld } from './fake-world.ts';
import { ROTATE_REQUESTED_ANNOTATION } from './reasons.ts';
import { rotatedNote } from './rotation-note.ts';

const HOUR = 3_600_000;

// Issue 20 item 4d: `Rotated (CredentialGone)` said the old credential "is revoked after 10m"
// although it was gone already. The note must say what is true of the previous credential.
describe('the Rotated event', () => {
  it('says a credential replaced because it is gone is gone already, not revoked later', async () => {
    const world = tokenWorld();
    const token = tokenObject({ renewal: 'Extend', lifetime: '24h', renewBefore: '1h' });
    const status: Record<string, unknown> = {};
    await world.reconcile(token, status);
    const first = String(status.credentialName);
    world.provider.live.clear(); // IONOS deletes expired tokens
    await world.clock.advance(23 * HOUR + 1);
    status.credentialCheckedAt = new Date(world.clock.now()).toISOString();
    await world.reconcile(token, status);

    const rotated = world.events.filter((e) => e.reason === 'Rotated');
    expect(rotated.map((e) => e.note)).toEqual([
      `rotated to credential ${status.credentialName} (CredentialGone); the previous one, ${first}, is already gone at ionos; its revocation after 10m only makes sure`,
    ]);
    // The revocation is kept as a safeguard; revoking a credential that is gone is idempotent.
    expect(status.pendingRevocations).toMatchObject([{ credentialId: 'cred-1' }]);
    await world.clock.advance(11 * 60_000);
    await world.reconcile(token, status);
    expect(world.provider.calls).toContain('revoke cred-1');
    expect(status.pendingRevocations).toBeUndefined();
  });

  it('still says a replaced live credential is revoked after the grace period', async () => {
    const world = tokenWorld();
    const status: Record<string, unknown> = {};
    await world.reconcile(tokenObject(), status);
    const requested = tokenObject(
      {},
      { annotations: { [ROTATE_REQUESTED_ANNOTATION]: '2026-11-30T05:00:01Z' } },
    );
    await world.reconcile(requested, status);
    expect(world.events.filter((e) => e.reason === 'Rotated').map((e) => e.note)).toEqual([
      `rotated to credential ${status.credentialName} (RotationRequested); the previous one is revoked after 10m`,
    ]);
  });

  it('names the provider where it forced the rotation', () => {
    expect(
      rotatedNote({
        issued: 'b',
        previous: 'a',
        reason: 'ScopesChanged',
        provider: 'selectel',
        gracePeriod: '1h',
      }),
    ).toBe(
      "rotated to credential b (ScopesChanged: selectel cannot change a credential's scopes in place); the previous one is revoked after 1h",
    );
  });
});
