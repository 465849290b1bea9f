import { describe, expect, it } from 'vitest';
import { type ContainerRegistry, ContainerRegistrySchema } from '../../crds/container-registry.ts';
import { TerminalError, WaitingError } from '../runtime/outcome.ts';
import { RequestBudgets } from '../shared/budgets.ts';
import { registryObject, TOKEN_UID, tokenObject, tokenWorld } from './fake-world.ts';
import { credentialName } from './names.ts';
import { ISSUING_ANNOTATION } from './reasons.ts';

/** The fake registry moved to the platform's namespace, sharing as `allowedNamespaces` says. */
function platformRegistry(allowedNamespaces: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const base = registryObject();
  return ContainerRegistrySchema.parse({
    ...base,
    metadata: { ...base.metadata, namespace: 'platform' },
    spec: { ...base.spec, allowedNamespaces, ...extra },
  });
}

const ref = { registryRef: { name: 'shop', namespace: 'platform' } };
const MINUTE = 60_000;

async function outcome(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('a token the registry refuses (issue 18, items 1, 5, 6)', () => {
  it('is Stalled before any provider call when it asks for more than the grants give', async () => {
    const world = tokenWorld({ registry: platformRegistry({ from: 'All' }) });
    const token = tokenObject({ ...ref, scopes: [{ repository: '*', actions: ['pull', 'push'] }] });
    const err = await outcome(world.reconcile(token, {}));
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as TerminalError).reason).toBe('ScopeNotGranted');
    expect(world.provider.calls).toEqual([]);
    expect(world.api.writes).toEqual([]);
  });

  it('keeps a live credential for one observeInterval after losing admission, then revokes it and deletes the Secret', async () => {
    let registry: ContainerRegistry = platformRegistry({ from: 'All' });
    const world = tokenWorld({ registry });
    const token = tokenObject({ ...ref, scopes: [{ repository: 'shop/*', actions: ['pull'] }] });
    const status: Record<string, unknown> = {};
    await world.reconcile(token, status);
    expect(status).toMatchObject({
      credentialId: 'cred-1',
      registry: { namespace: 'platform', name: 'shop', provider: 'ionos', externalId: 'reg-1' },
    });

    // The platform team stops sharing: the fake's registry object is replaced in place.
    registry = platformRegistry({ from: 'Same' });
    Object.assign(world.registry, registry);
    world.provider.calls.length = 0;
    const first = await outcome(world.reconcile(token, status));
    expect(first).toBeInstanceOf(WaitingError);
    expect((first as WaitingError).reason).toBe('RegistryNotAllowed');
    expect((first as WaitingError).message).toBe(
      'ContainerRegistry platform/shop does not exist or does not admit namespace shop; credentials are ' +
        'revoked at 2026-11-30T05:10:00.000Z unless it admits this token again',
    );
    expect(status.refusedAt).toBe('2026-11-30T05:00:00Z');
    expect(status.credentialId).toBe('cred-1');
    expect(world.provider.calls).toEqual([]);
    expect(world.events.map((e) => e.reason)).toContain('AccessRefused');

    await world.clock.advance(10 * MINUTE);
    const second = await outcome(world.reconcile(token, status));
    expect(second).toBeInstanceOf(TerminalError);
    expect(world.provider.calls).toEqual(['revoke cred-1', 'listOwned']);
    expect(world.provider.live.size).toBe(0);
    expect(world.api.secrets.has('shop/shop-pull')).toBe(false);
    expect(status.credentialId).toBeUndefined();
    expect(status.registry).toBeUndefined();
    expect(world.events.map((e) => e.reason)).toContain('AccessRevoked');
  });

  it('forgets a refusal the registry took back in time, and revokes nothing', async () => {
    const world = tokenWorld({ registry: platformRegistry({ from: 'All' }) });
    const token = tokenObject({ ...ref });
    const status: Record<string, unknown> = {};
    await world.reconcile(token, status);
    Object.assign(world.registry, platformRegistry({ from: 'Same' }));
    await outcome(world.reconcile(token, status));
    Object.assign(world.registry, platformRegistry({ from: 'All' }));
    await world.clock.advance(20 * MINUTE);
    await world.reconcile(token, status);
    expect(status.refusedAt).toBeUndefined();
    expect(status.credentialId).toBe('cred-1');
    expect(world.provider.calls.filter((c) => c.startsWith('revoke'))).toEqual([]);
  });

  it('is deleted without a provider call when it never held a credential, whatever its annotations say', async () => {
    const world = tokenWorld({ registry: platformRegistry({ from: 'Same' }) });
    const token = tokenObject(
      { ...ref },
      {
        annotations: { [ISSUING_ANNOTATION]: credentialName(TOKEN_UID, 1) },
        deletionTimestamp: '2026-11-30T05:00:00Z',
      },
    );
    await world.reconcile(token, {}, { deleting: true });
    expect(world.provider.calls).toEqual([]);
    expect(world.api.writes).toContain('remove finalizer');
  });

  it('revokes on deletion even with deletionPolicy Retain when no grant allows Retain', async () => {
    const world = tokenWorld({ registry: platformRegistry({ from: 'All' }) });
    const status: Record<string, unknown> = {};
    await world.reconcile(tokenObject({ ...ref }), status);
    world.provider.calls.length = 0;
    const retained = tokenObject(
      { ...ref, deletionPolicy: 'Retain' },
      { deletionTimestamp: '2026-11-30T05:00:00Z' },
    );
    await world.reconcile(retained, status, { deleting: true });
    expect(world.provider.calls).toEqual(['revoke cred-1', 'listOwned']);
  });
});

describe('the registry a token’s credentials were issued at (issue 18, item 6)', () => {
  it('is recorded, and a registry object that now stands for another registry gets a new credential, not a wrong revoke', async () => {
    const world = tokenWorld();
    const status: Record<string, unknown> = {};
    await world.reconcile(tokenObject(), status);
    expect(status.registry).toMatchObject({ namespace: 'shop', name: 'shop', externalId: 'reg-1' });
    // Deleted and made again, elsewhere: same name, another registry at the provider.
    const again = registryObject();
    Object.assign(world.registry, {
      ...again,
      metadata: { ...again.metadata, uid: 'registry-uid-2' },
      status: { ...again.status, externalId: 'reg-2' },
    });
    world.provider.calls.length = 0;
    await world.reconcile(tokenObject(), status);
    expect(world.provider.calls).toEqual([`issue ${credentialName(TOKEN_UID, 1)}`]);
    expect(status).toMatchObject({
      credentialId: 'cred-2',
      registry: { externalId: 'reg-2', uid: 'registry-uid-2' },
    });
    expect(status.pendingRevocations).toBeUndefined();
    expect(world.events.map((e) => e.reason)).toContain('CredentialsUnreachable');
  });
});

describe('rotations on request and the budget (issue 18, item 7)', () => {
  it('rotates on request until the token’s budget is spent, then waits with Throttled', async () => {
    const world = tokenWorld();
    const budgets = new RequestBudgets(
      {
        budgetTokenRotationsPerHour: 2,
        budgetNamespaceRotationsPerHour: 0,
        budgetPolicyRunsPerHour: 0,
        budgetNamespaceRunsPerHour: 0,
      },
      world.clock,
    );
    world.setBudgets(budgets);
    const status: Record<string, unknown> = {};
    await world.reconcile(tokenObject(), status);
    const ask = (at: string) => tokenObject({}, { annotations: { 'berth.dev/rotate-requested-at': at } });
    await world.reconcile(ask('1'), status);
    await world.reconcile(ask('2'), status);
    // The same request again (a retried reconcile) does not pay twice; a third does not get through.
    await world.reconcile(ask('2'), status);
    const err = await outcome(world.reconcile(ask('3'), status));
    expect(err).toBeInstanceOf(WaitingError);
    expect((err as WaitingError).reason).toBe('Throttled');
    expect((err as WaitingError).message).toBe(
      'rotation on request throttled: 2 per hour per RegistryToken (--budget-token-rotations-per-hour); next allowed in 30m',
    );
    expect(world.provider.calls.filter((c) => c.startsWith('issue'))).toHaveLength(3);
    await world.clock.advance(30 * MINUTE);
    await world.reconcile(ask('3'), status);
    expect(world.provider.calls.filter((c) => c.startsWith('issue'))).toHaveLength(4);
  });
});
