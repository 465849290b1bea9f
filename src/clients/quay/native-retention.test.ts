import { afterEach, describe, expect, it } from 'vitest';
import { type QuayHarness, startQuay } from '../../../test/support/providers/quay.ts';
import { ConflictError } from '../http/errors.ts';
import { ForeignPolicyError } from './autoprune.ts';

// Issue 18 (smaller ones): Native mode adopted an identical auto-prune policy it had not created
// (`if (existing) return existing.uuid`), recorded its uuid, and deleted it with the CleanupPolicy.
// berth may only ever delete the policies it created.

let h: QuayHarness | undefined;
afterEach(() => h?.close());

const org = { organization: 'acme' };

describe('QuayNativeRetention and policies berth did not create', () => {
  it('does not adopt an identical policy: a ForeignPolicyError names it, and it is never deleted', async () => {
    h = await startQuay();
    h.sim.addOrganization('acme');
    // The platform team's own organization-wide policy, made in Quay's UI.
    const theirs = await h.provider.api.createAutoPrunePolicy(org, { method: 'number_of_tags', value: 5 });
    const native = h.provider.nativeRetention;
    const registry = h.registry('acme');

    const err = await native.apply(registry, [undefined], { keepLast: 5 }, []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForeignPolicyError);
    expect(err).toBeInstanceOf(ConflictError); // the CleanupPolicy stalls with reason AlreadyExists
    expect((err as Error).message).toBe(
      `an identical Quay auto-prune policy ${theirs} already exists on organization acme and berth did not ` +
        'create it: Quay refuses a duplicate, and berth neither adopts nor deletes a policy it did not ' +
        'create. Delete that policy in Quay to let berth manage one, or change the rule.',
    );
    // What the CleanupPolicy recorded is what remove() deletes: nothing of theirs.
    await native.remove(registry, []);
    expect([...(h.sim.organization('acme')?.policies.keys() ?? [])]).toEqual([theirs]);
  });

  it('changes nothing on any target when one of them holds a foreign identical policy', async () => {
    h = await startQuay();
    h.sim.addOrganization('acme');
    h.sim.addRepository('acme', 'api');
    h.sim.addRepository('acme', 'web');
    const native = h.provider.nativeRetention;
    const registry = h.registry('acme');
    const [mine] = (await native.apply(registry, ['api'], { keepLast: 3 }, [])) ?? [];
    const web = { organization: 'acme', repository: 'web' };
    await h.provider.api.createAutoPrunePolicy(web, { method: 'number_of_tags', value: 10 });

    // The rule changes to keepLast 10 on both repositories; web already has that, and not from berth.
    const err = await native
      .apply(registry, ['api', 'web'], { keepLast: 10 }, mine ? [mine] : [])
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /policy [-0-9a-f]+ already exists on repository acme\/web and berth/,
    );
    // berth's own keepLast 3 on api is still there, and nothing new was created on either repository.
    expect([...(h.sim.repository('acme', 'api')?.policies.values() ?? [])].map((p) => p.value)).toEqual([3]);
    expect(h.sim.repository('acme', 'web')?.policies.size).toBe(1);
  });

  it('still recognises the policy its own create made when the answer was lost', async () => {
    h = await startQuay();
    h.sim.addOrganization('acme');
    h.sim.server.faults.schedule(
      { kind: 'loseResponse' },
      { match: { method: 'POST', path: /autoprunepolicy/ } },
    );
    const placed = await h.provider.nativeRetention.apply(
      h.registry('acme'),
      [undefined],
      { keepLast: 4 },
      [],
    );
    const ids = [...(h.sim.organization('acme')?.policies.keys() ?? [])];
    expect(ids).toHaveLength(1);
    expect(placed).toEqual([{ repository: undefined, id: ids[0] }]);
  });

  it('keeps, replaces and removes only the policies it recorded', async () => {
    h = await startQuay();
    h.sim.addOrganization('acme');
    const native = h.provider.nativeRetention;
    const registry = h.registry('acme');
    const theirs = await h.provider.api.createAutoPrunePolicy(org, { method: 'creation_date', value: '30d' });
    const first = (await native.apply(registry, [undefined], { keepLast: 4 }, [])) ?? [];
    expect(await native.apply(registry, [undefined], { keepLast: 4 }, first)).toEqual(first);
    const second = (await native.apply(registry, [undefined], { keepLast: 6 }, first)) ?? [];
    expect(second[0]?.id).not.toBe(first[0]?.id);
    await native.remove(registry, second);
    expect([...(h.sim.organization('acme')?.policies.keys() ?? [])]).toEqual([theirs]);
  });
});
