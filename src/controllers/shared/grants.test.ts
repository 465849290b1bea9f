import { describe, expect, it } from 'vitest';
import { ContainerRegistrySchema } from '../../crds/container-registry.ts';
import { RegistryTokenSpecSchema } from '../../crds/registry-token.ts';
import { checkCleanupGrants } from './cleanup-grants.ts';
import { effectiveActions, globWithin, grantsFor, scopeWithin } from './grants.ts';
import { checkTokenGrants } from './token-grants.ts';

const registry = (provider: 'ionos' | 'selectel' | 'quay', extra: Record<string, unknown> = {}) =>
  ContainerRegistrySchema.parse({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'ContainerRegistry',
    metadata: { name: 'shop', namespace: 'platform' },
    spec: {
      provider,
      credentialsRef: { name: 'api' },
      ...(provider === 'ionos' ? { ionos: { location: 'de/fra' } } : {}),
      ...(provider === 'selectel' ? { selectel: { projectId: 'p' } } : {}),
      ...(provider === 'quay' ? { quay: { organization: 'acme', email: 'ops@acme.example' } } : {}),
      allowedNamespaces: { from: 'All' },
      ...extra,
    },
  });

const token = (spec: Record<string, unknown>) =>
  RegistryTokenSpecSchema.parse({ registryRef: { name: 'shop', namespace: 'platform' }, ...spec });

describe('scopeWithin and globWithin', () => {
  it.each([
    ['team-a/app', 'team-a/*', true],
    ['team-a/*', 'team-a/*', true],
    ['team-a/x/*', 'team-a/*', true],
    ['team-a', 'team-a/*', false],
    ['team-ab/app', 'team-a/*', false],
    ['*', 'team-a/*', false],
    ['anything/x', '*', true],
    ['shared/base', 'shared/base', true],
    ['shared/base2', 'shared/base', false],
  ])('scope %s within %s: %s', (scope, granted, expected) => {
    expect(scopeWithin(scope, granted)).toBe(expected);
  });

  it.each([
    ['team-a/**', 'team-a/*', true],
    ['team-a/app', 'team-a/*', true],
    ['team-a*', 'team-a/*', false],
    ['**', 'team-a/*', false],
    ['**', '*', true],
    ['team-?/app', 'team-a/*', false],
    ['shared/base', 'shared/base', true],
    ['shared/*', 'shared/base', false],
  ])('glob %s within %s: %s', (glob, granted, expected) => {
    expect(globWithin(glob, granted)).toBe(expected);
  });
});

describe('effectiveActions', () => {
  it('couples push and delete where the provider cannot separate them', () => {
    expect(effectiveActions('quay', ['pull', 'push'])).toEqual(['delete', 'pull', 'push']);
    expect(effectiveActions('selectel', ['delete'])).toEqual(['delete', 'push']);
    expect(effectiveActions('ionos', ['pull', 'push'])).toEqual(['pull', 'push']);
    expect(effectiveActions('quay', ['pull'])).toEqual(['pull']);
  });
});

describe('grantsFor', () => {
  it('never restricts the registry’s own namespace', () => {
    expect(grantsFor(registry('ionos'), 'platform', {}).kind).toBe('unrestricted');
  });

  it('refuses a namespace spec.allowedNamespaces does not admit', () => {
    const same = registry('ionos', { allowedNamespaces: { from: 'Same' } });
    const answer = grantsFor(same, 'team-a', {});
    expect(answer).toEqual({
      kind: 'refused',
      refusal: {
        reason: 'RegistryNotAllowed',
        message: 'ContainerRegistry platform/shop does not exist or does not admit namespace team-a',
        detail:
          'ContainerRegistry platform/shop may only be used from its own namespace; set its spec.allowedNamespaces to allow team-a',
      },
    });
  });

  it('refuses an admitted namespace that no grant names', () => {
    const named = registry('ionos', { grants: [{ namespaces: { names: ['team-b'] } }] });
    expect(grantsFor(named, 'team-a', {})).toMatchObject({
      kind: 'refused',
      refusal: {
        message:
          'no grant of ContainerRegistry platform/shop applies to namespace team-a (spec.grants[].namespaces)',
      },
    });
    expect(grantsFor(named, 'team-b', {}).kind).toBe('granted');
  });
});

describe('checkTokenGrants', () => {
  it('gives an admitted namespace only pull on its own path by default (item 1)', () => {
    const reg = registry('ionos');
    expect(
      checkTokenGrants(reg, 'team-a', {}, token({ scopes: [{ repository: 'team-a/*', actions: ['pull'] }] })),
    ).toBe(undefined);
    const wildcard = checkTokenGrants(
      reg,
      'team-a',
      {},
      token({ scopes: [{ repository: '*', actions: ['pull'] }] }),
    );
    expect(wildcard).toEqual({
      reason: 'ScopeNotGranted',
      message:
        'spec.scopes[0] asks for pull on *, which ContainerRegistry platform/shop does not grant to namespace ' +
        'team-a; it grants: pull on team-a/* (the default grant (spec.grants unset))',
    });
    const other = checkTokenGrants(
      reg,
      'team-a',
      {},
      token({ scopes: [{ repository: 'team-b/app', actions: ['pull', 'push', 'delete'] }] }),
    );
    expect(other?.reason).toBe('ScopeNotGranted');
    const push = checkTokenGrants(
      reg,
      'team-a',
      {},
      token({ scopes: [{ repository: 'team-a/app', actions: ['push'] }] }),
    );
    expect(push?.message).toContain('spec.scopes[0] asks for push on team-a/app');
  });

  it('needs push and delete granted together on Quay, and says why', () => {
    const reg = registry('quay', {
      grants: [{ repositories: ['{namespace}/*'], actions: ['pull', 'push'], maxLifetime: '720h' }],
    });
    const refusal = checkTokenGrants(
      reg,
      'team-a',
      {},
      token({ scopes: [{ repository: 'team-a/app', actions: ['push'] }], rotateEvery: '24h' }),
    );
    expect(refusal?.message).toContain(
      'asks for delete, push on team-a/app (quay cannot separate push from delete',
    );
  });

  it('bounds the lifetime, and on Quay the rotation', () => {
    const reg = registry('ionos', { grants: [{ maxLifetime: '168h' }] });
    const long = checkTokenGrants(
      reg,
      'team-a',
      {},
      token({ scopes: [{ repository: 'team-a/*', actions: ['pull'] }], lifetime: '87600h' }),
    );
    expect(long).toEqual({
      reason: 'LifetimeNotGranted',
      message:
        'spec.lifetime 87600h is longer than ContainerRegistry platform/shop allows namespace team-a for ' +
        'spec.scopes[0]: at most 168h (spec.grants[0].maxLifetime)',
    });
    const quay = registry('quay');
    const scopes = [{ repository: 'team-a/*', actions: ['pull'] }];
    expect(checkTokenGrants(quay, 'team-a', {}, token({ scopes }))?.message).toBe(
      'quay credentials never expire, so spec.rotateEvery must be set: ContainerRegistry platform/shop allows ' +
        'namespace team-a credentials of at most 720h (the default grant (spec.grants unset).maxLifetime)',
    );
    expect(checkTokenGrants(quay, 'team-a', {}, token({ scopes, rotateEvery: '240h' }))).toBe(undefined);
  });

  it('allows deletionPolicy Retain only where granted', () => {
    const spec = token({ scopes: [{ repository: 'team-a/*', actions: ['pull'] }], deletionPolicy: 'Retain' });
    expect(checkTokenGrants(registry('ionos'), 'team-a', {}, spec)?.reason).toBe('RetainNotGranted');
    expect(checkTokenGrants(registry('ionos', { grants: [{ allowRetain: true }] }), 'team-a', {}, spec)).toBe(
      undefined,
    );
  });

  it('lets each scope use the grant that covers it, chosen per namespace by name or selector', () => {
    const reg = registry('ionos', {
      grants: [
        { repositories: ['shared/*'], actions: ['pull'] },
        { namespaces: { selector: { matchLabels: { ci: 'true' } } }, actions: ['pull', 'push'] },
      ],
    });
    const spec = token({
      scopes: [
        { repository: 'shared/base', actions: ['pull'] },
        { repository: 'team-a/app', actions: ['pull', 'push'] },
      ],
    });
    expect(checkTokenGrants(reg, 'team-a', { ci: 'true' }, spec)).toBe(undefined);
    expect(checkTokenGrants(reg, 'team-a', {}, spec)?.message).toContain(
      'spec.scopes[1] asks for pull, push',
    );
  });

  it('leaves the registry’s own namespace unrestricted', () => {
    const spec = token({
      scopes: [{ repository: '*', actions: ['pull', 'push', 'delete'] }],
      lifetime: '87600h',
    });
    expect(checkTokenGrants(registry('ionos'), 'platform', {}, spec)).toBe(undefined);
  });
});

describe('checkCleanupGrants', () => {
  const policy = (spec: Record<string, unknown> = {}) => ({
    repositories: { include: ['team-a/**'] },
    mode: 'Operator' as const,
    maxDeletionsPerRun: 100,
    ...spec,
  });

  it('refuses CleanupPolicies unless a grant has a cleanup section (item 1)', () => {
    const answer = checkCleanupGrants(registry('ionos'), 'team-a', {}, policy(), () => 1);
    expect(answer).toEqual({
      allowed: false,
      refusal: {
        reason: 'CleanupNotGranted',
        message:
          'ContainerRegistry platform/shop grants namespace team-a no CleanupPolicies (spec.grants[].cleanup is unset)',
      },
    });
  });

  it('keeps a policy inside its repositories, mode, deletions and runs per hour', () => {
    const reg = registry('quay', { grants: [{ cleanup: { maxDeletionsPerRun: 50, runsPerHour: 2 } }] });
    expect(checkCleanupGrants(reg, 'team-a', {}, policy({ maxDeletionsPerRun: 50 }), () => 1)).toEqual({
      allowed: true,
      runsPerHour: 2,
    });
    const all = checkCleanupGrants(
      reg,
      'team-a',
      {},
      policy({ repositories: { include: ['**'] }, maxDeletionsPerRun: 50 }),
      () => 1,
    );
    expect(all.allowed === false && all.refusal.message).toContain('spec.repositories.include[0] ** reaches');
    const native = checkCleanupGrants(reg, 'team-a', {}, policy({ mode: 'Native' }), undefined);
    expect(native.allowed === false && native.refusal.message).toContain('spec.mode Native');
    const many = checkCleanupGrants(reg, 'team-a', {}, policy({ maxDeletionsPerRun: 100 }), () => 1);
    expect(many.allowed === false && many.refusal.message).toContain('at most 50');
    const often = checkCleanupGrants(
      reg,
      'team-a',
      {},
      policy({ maxDeletionsPerRun: 50 }),
      (limit) => limit + 1,
    );
    expect(often.allowed === false && often.refusal.message).toBe(
      'spec.schedule runs 3 or more times in an hour; ContainerRegistry platform/shop allows namespace team-a at ' +
        'most 2 runs per hour (spec.grants[].cleanup.runsPerHour)',
    );
  });

  it('allows Native mode where granted', () => {
    const reg = registry('quay', { grants: [{ cleanup: { native: true, repositories: ['*'] } }] });
    expect(
      checkCleanupGrants(
        reg,
        'team-a',
        {},
        policy({ mode: 'Native', repositories: { include: ['**'] } }),
        undefined,
      ).allowed,
    ).toBe(true);
  });
});
