import { describe, expect, it } from 'vitest';
import { afterObservation, type DecisionInput, decide, nextWake, scopesHash } from './decision.ts';

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const MIN = 60_000;

/** A healthy token with nothing to do: the case every row changes one thing of. */
const steady: DecisionInput = {
  now: NOW,
  hasCredential: true,
  secretProblem: undefined,
  rotationRequested: false,
  renewAt: NOW + 60 * MIN,
  renewal: 'Rotate',
  scopesChanged: false,
  canUpdateScopes: false,
  suspect: false,
  pollDueAt: undefined,
};

describe('decide: what a RegistryToken reconcile does to its credential', () => {
  it.each<[string, Partial<DecisionInput>, ReturnType<typeof decide>]>([
    ['nothing due', {}, { kind: 'none' }],
    ['no credential yet', { hasCredential: false }, { kind: 'issue', reason: 'Initial' }],
    [
      'the Secret was deleted',
      { secretProblem: 'SecretDeleted' },
      { kind: 'issue', reason: 'SecretDeleted' },
    ],
    [
      'the Secret was edited',
      { secretProblem: 'SecretModified' },
      { kind: 'issue', reason: 'SecretModified' },
    ],
    ['a rotation was requested', { rotationRequested: true }, { kind: 'issue', reason: 'RotationRequested' }],
    ['renewal is due (Rotate)', { renewAt: NOW }, { kind: 'issue', reason: 'Renewal' }],
    ['renewal is due (Extend)', { renewAt: NOW - 1, renewal: 'Extend' }, { kind: 'extend' }],
    [
      'scopes changed, provider updates in place',
      { scopesChanged: true, canUpdateScopes: true },
      { kind: 'updateScopes' },
    ],
    ['scopes changed, provider cannot', { scopesChanged: true }, { kind: 'issue', reason: 'ScopesChanged' }],
    // No poll of its own: the registry's census looks at every credential in one list.
    ['the census found the credential missing', { suspect: true }, { kind: 'observe' }],
    ['a poll is due (Quay grants)', { pollDueAt: NOW }, { kind: 'observe' }],
    ['a poll is not due yet', { pollDueAt: NOW + 5 * MIN }, { kind: 'none' }],
    // Precedence: the Secret is repaired before anything else; a due renewal wins over a check.
    [
      'Secret deleted and renewal due',
      { secretProblem: 'SecretDeleted', renewAt: NOW },
      { kind: 'issue', reason: 'SecretDeleted' },
    ],
    ['renewal and check due', { renewAt: NOW, suspect: true }, { kind: 'issue', reason: 'Renewal' }],
  ])('%s', (_what, change, expected) => {
    expect(decide({ ...steady, ...change })).toEqual(expected);
  });
});

describe('afterObservation: what the provider says about the current credential', () => {
  const seen = { id: 'x', name: 'x', enabled: true, expiresAt: new Date(NOW + MIN) };
  it.each<[string, Parameters<typeof afterObservation>[0], boolean, ReturnType<typeof decide>]>([
    ['deleted behind berth’s back', undefined, false, { kind: 'issue', reason: 'CredentialGone' }],
    [
      'disabled at the provider',
      { ...seen, enabled: false },
      false,
      { kind: 'issue', reason: 'CredentialDisabled' },
    ],
    ['expired', { ...seen, expiresAt: new Date(NOW) }, false, { kind: 'issue', reason: 'CredentialExpired' }],
    ['fine', seen, false, { kind: 'none' }],
    [
      'fine, on a provider that expands scope patterns (Quay)',
      { ...seen, expiresAt: undefined },
      true,
      { kind: 'updateScopes' },
    ],
  ])('%s', (_what, observed, expands, expected) => {
    expect(afterObservation(observed, NOW, expands)).toEqual(expected);
  });
});

describe('scopesHash', () => {
  it('ignores the order of scopes and of actions, not their content', () => {
    const a = scopesHash([
      { repository: 'shop/*', actions: ['pull', 'push'] },
      { repository: 'base', actions: ['pull'] },
    ]);
    expect(
      scopesHash([
        { repository: 'base', actions: ['pull'] },
        { repository: 'shop/*', actions: ['push', 'pull'] },
      ]),
    ).toBe(a);
    expect(
      scopesHash([
        { repository: 'shop/*', actions: ['pull'] },
        { repository: 'base', actions: ['pull'] },
      ]),
    ).not.toBe(a);
  });
});

describe('nextWake', () => {
  it('is the earliest known time', () => {
    expect(nextWake([NOW + 5, undefined, NOW + 2])).toBe(NOW + 2);
    expect(nextWake([undefined])).toBeUndefined();
  });
});
