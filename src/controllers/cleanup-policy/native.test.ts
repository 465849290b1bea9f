import { describe, expect, it } from 'vitest';
import { CleanupPolicySpecSchema } from '../../crds/cleanup-policy.ts';
import { quayDuration, translateToNative } from './native.ts';

// The CRD already refuses most of what Native cannot do; the translation must still refuse it for
// objects stored before those rules existed, so specs are built as Operator and switched here.
const spec = (over: Record<string, unknown>) => ({
  ...CleanupPolicySpecSchema.parse({
    registryRef: { name: 'r' },
    schedule: '0 3 * * *',
    repositories: { include: ['**'] },
    rules: { keepLast: 10 },
    ...over,
  }),
  mode: 'Native' as const,
});

describe('translateToNative', () => {
  it('puts keepLast on the whole organization as number_of_tags', () => {
    const t = translateToNative(spec({}));
    expect(t.rule).toEqual({ keepLast: 10 });
    expect(t.targets).toEqual([undefined]);
    expect(t.unsupported).toEqual([]);
  });

  // Issue 20 item 4b: the Ready message named maxDeletionsPerRun "not carried over" when it was
  // never set. Only settings the user made are listed; the default counts as unset.
  it('names maxDeletionsPerRun as not carried over only when it was set', () => {
    expect(translateToNative(spec({})).unsupported).not.toContainEqual(
      expect.stringContaining('maxDeletionsPerRun'),
    );
    expect(translateToNative(spec({ maxDeletionsPerRun: 20 })).unsupported).toEqual([
      'maxDeletionsPerRun (Quay prunes without a limit)',
    ]);
  });

  it('writes olderThan in Quay units and puts policies on named repositories', () => {
    const t = translateToNative(
      spec({ repositories: { include: ['app', 'web'] }, rules: { olderThan: '720h' } }),
    );
    expect(t.rule).toEqual({ olderThan: '30d' });
    expect(t.targets).toEqual(['app', 'web']);
  });

  it('carries one tag pattern, inverted for keepTags', () => {
    const t = translateToNative(spec({ rules: { keepLast: 3, keepTags: ['v*'] } }));
    expect(t.rule?.tagPatternMatches).toBe(false);
    expect(new RegExp(t.rule?.tagPattern ?? '').test('v1.2')).toBe(true);
  });

  it('lists what Quay cannot do', () => {
    const t = translateToNative(
      spec({ dryRun: true, rules: { keepLast: 3, untagged: 'Delete', minAge: '2h' } }),
    );
    expect(t.unsupported).toContain('rules.untagged: Delete (Quay prunes tags only)');
    expect(t.unsupported).toContain('rules.minAge (Quay has no minimum age)');
    expect(t.unsupported.some((u) => u.startsWith('dryRun'))).toBe(true);
  });

  it.each([
    [{ rules: { keepLast: 3, olderThan: '24h' } }, 'not both'],
    [{ rules: { keepLast: 3, keepTags: ['a', 'b'] } }, 'one tag pattern'],
    [{ repositories: { include: ['team/*'] } }, 'cannot be expressed'],
  ])('refuses %j', (over, why) => {
    const t = translateToNative(spec(over));
    expect(t.rule).toBeUndefined();
    expect(t.refusal).toContain(why);
  });

  it('converts durations to the largest whole unit', () => {
    expect(quayDuration('168h')).toBe('1w');
    expect(quayDuration('36h')).toBe('36h');
    expect(quayDuration('90m')).toBe('90m');
  });
});
