import { describe, expect, it } from 'vitest';
import { scopeProblems } from './scopes.ts';

describe('scopeProblems: what an IONOS token answer shows differently from what was asked', () => {
  const wanted = [
    { repository: 'shop/*', actions: ['pull' as const, 'push' as const] },
    { repository: 'base', actions: ['pull' as const] },
  ];

  it('is empty when the token has exactly the asked scopes, in any order', () => {
    const granted = [
      { name: 'base', type: 'repository', actions: ['pull'] },
      { name: 'shop/*', type: 'repository', actions: ['push', 'pull'] },
    ];
    expect(scopeProblems(wanted, granted)).toEqual([]);
  });

  it('names missing actions, leftover grants and scopes of another type', () => {
    const granted = [
      { name: 'shop/*', type: 'repository', actions: ['pull'] },
      { name: 'old', type: 'repository', actions: ['delete'] },
      { name: '*', type: 'registry', actions: ['pull'] },
    ];
    expect(scopeProblems(wanted, granted)).toEqual([
      'repository shop/*: push not granted',
      'repository base: pull not granted',
      'repository old: delete granted but not asked for',
      'registry scope * granted but not asked for',
    ]);
  });
});
