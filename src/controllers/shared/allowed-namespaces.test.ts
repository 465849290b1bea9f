import { describe, expect, it } from 'vitest';
import { admitReference, selectorMatches } from './allowed-namespaces.ts';

const registry = (allowedNamespaces: Record<string, unknown>) =>
  ({
    metadata: { name: 'shop', namespace: 'platform' },
    spec: { allowedNamespaces },
  }) as unknown as Parameters<typeof admitReference>[0];

describe('admitReference', () => {
  it('always admits the registry’s own namespace', () => {
    expect(admitReference(registry({ from: 'Same' }), 'platform', {})).toEqual({ allowed: true });
  });

  it('refuses other namespaces by default, saying what to change', () => {
    const answer = admitReference(registry({ from: 'Same' }), 'team-a', {});
    expect(answer).toEqual({
      allowed: false,
      message:
        'ContainerRegistry platform/shop may only be used from its own namespace; set its spec.allowedNamespaces to allow team-a',
    });
  });

  it('admits every namespace with All', () => {
    expect(admitReference(registry({ from: 'All' }), 'anything', {}).allowed).toBe(true);
  });

  it('admits by selector and names the selector when refusing', () => {
    const policy = registry({
      from: 'Selector',
      selector: { matchLabels: { 'berth.dev/registry-access': 'shop' } },
    });
    expect(admitReference(policy, 'team-a', { 'berth.dev/registry-access': 'shop' }).allowed).toBe(true);
    const refused = admitReference(policy, 'team-b', {});
    expect(refused.allowed).toBe(false);
    expect(refused.allowed === false && refused.message).toContain('spec.allowedNamespaces.selector');
  });
});

describe('selectorMatches', () => {
  const labels = { env: 'prod', team: 'a' };
  it.each([
    [{}, true],
    [{ matchLabels: { env: 'prod' } }, true],
    [{ matchLabels: { env: 'dev' } }, false],
    [{ matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'b'] }] }, true],
    [{ matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['a'] }] }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['x'] }] }, true],
    [{ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, true],
    [{ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, false],
    [
      { matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'team', operator: 'In', values: ['b'] }] },
      false,
    ],
  ])('%j → %s', (selector, expected) => {
    expect(selectorMatches(selector as Parameters<typeof selectorMatches>[0], labels)).toBe(expected);
  });
});
