import { describe, expect, it } from 'vitest';
import type { BerthObject } from '../objects.ts';
import { adviceFor } from './advice.ts';
import { nextSteps } from './next.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');

function obj(
  kind: BerthObject['kind'],
  conditions: object[],
  spec: object = {},
  status: object = {},
): BerthObject {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind,
    metadata: { name: 'x', namespace: 'shop', generation: 1 },
    spec: spec as Record<string, unknown>,
    status: { observedGeneration: 1, conditions: conditions as never, ...status },
  };
}
const READY = { type: 'Ready', status: 'True', reason: 'Succeeded', message: '' };

describe('what happens next', () => {
  it('for a token: expiry, renewal, pending revocation and the next look at the provider', () => {
    const token = obj(
      'RegistryToken',
      [READY],
      { registryRef: { name: 'r' }, renewal: 'Rotate' },
      {
        credentialId: 'c2',
        expiresAt: '2026-07-01T12:00:00Z',
        renewAt: '2026-06-21T12:00:00Z',
        credentialCheckedAt: '2026-06-01T11:58:00Z',
        pendingRevocations: [
          { credentialId: 'c1', credentialName: 'berth-1', revokeAfter: '2026-06-01T12:10:00Z' },
        ],
      },
    );
    const registry = obj('ContainerRegistry', [READY], { observeInterval: '5m' });
    expect(nextSteps(token, registry, NOW)).toEqual([
      'the credential expires in 30d, at 2026-07-01T12:00:00Z',
      'berth rotates it (issues a new one, then revokes the old) in 20d, at 2026-06-21T12:00:00Z',
      'berth revokes the replaced credential berth-1 in 10m, at 2026-06-01T12:10:00Z',
      "berth lists the registry's credentials every 5m (its observeInterval) and replaces this one if it is gone, disabled or expired there",
    ]);
    const quay = obj('ContainerRegistry', [READY], { provider: 'quay', observeInterval: '5m' });
    expect(nextSteps(token, quay, NOW).at(-1)).toBe(
      "berth looks at the credential and its grants at the provider again in 3m, at 2026-06-01T12:03:00Z; every 5m, the registry's observeInterval",
    );
  });

  it('for a policy: the last run and the next, or why there is none', () => {
    const policy = obj(
      'CleanupPolicy',
      [READY],
      { schedule: '0 3 * * *', timeZone: 'Europe/Berlin', dryRun: true },
      {
        nextRunAt: '2026-06-02T01:00:00Z',
      },
    );
    expect(nextSteps(policy, undefined, NOW)).toEqual([
      'it has not run yet',
      'runs next in 13h, at 2026-06-02T01:00:00Z, schedule "0 3 * * *" in Europe/Berlin: a dry run (deletes nothing)',
    ]);
    const suspended = obj('CleanupPolicy', [READY], { suspend: true }, {});
    expect(nextSteps(suspended, undefined, NOW)).toContain(
      'suspended: no scheduled runs; berth cleanup run still runs it',
    );
  });

  // The same policy through one day: the next slot ahead, and just after a slot (its run under
  // way, so status still names that slot) a run that is due rather than one that comes next.
  it.each([
    ['00:10:00', '2026-06-01T03:00:00Z', 'runs next in 170m, at 2026-06-01T03:00:00Z'],
    ['02:59:30', '2026-06-01T03:00:00Z', 'runs next in 30s, at 2026-06-01T03:00:00Z'],
    ['03:00:40', '2026-06-01T03:00:00Z', 'a scheduled run was due 40s ago, at 2026-06-01T03:00:00Z'],
    ['23:59:59', '2026-06-02T03:00:00Z', 'runs next in 3h, at 2026-06-02T03:00:00Z'],
  ])('for a daily 03:00 policy at %s', (time, nextRunAt, expected) => {
    const policy = obj('CleanupPolicy', [READY], { schedule: '0 3 * * *' }, { nextRunAt });
    const [, next] = nextSteps(policy, undefined, Date.parse(`2026-06-01T${time}Z`));
    expect(next).toBe(
      expected.startsWith('runs next')
        ? `${expected}, schedule "0 3 * * *" in UTC: deleting at most 100`
        : `${expected}, schedule "0 3 * * *" in UTC: berth is running it, or the operator is not running`,
    );
  });

  it('for an object being deleted, only that', () => {
    const registry = obj('ContainerRegistry', [READY], { deletionPolicy: 'Delete' });
    registry.metadata.deletionTimestamp = '2026-06-01T11:59:00Z';
    expect(nextSteps(registry, undefined, NOW)).toEqual([
      'being deleted: berth deletes the registry at the provider, then lets the object go',
    ]);
  });
});

describe('what to do', () => {
  it('nothing for a Ready object', () => {
    expect(adviceFor(obj('RegistryToken', [READY]))).toEqual([]);
  });

  it('for Stalled: the remedy of its reason, and how to ask for another try', () => {
    const stalled = obj(
      'RegistryToken',
      [
        { type: 'Stalled', status: 'True', reason: 'SecretConflict', message: 'm' },
        { type: 'Ready', status: 'False', reason: 'SecretConflict', message: 'm' },
      ],
      { secret: { name: 'pull' } },
    );
    const advice = adviceFor(stalled);
    expect(advice[0]).toBe(
      'a Secret named pull exists that berth did not write: delete or rename it, or set spec.secret.name to a free name',
    );
    expect(advice[1]).toContain(
      'kubectl annotate registrytoken x -n shop berth.dev/reconcile-requested-at="$(date -Is)" --overwrite',
    );
  });

  it('for a known waiting reason: where to look', () => {
    const waiting = obj(
      'CleanupPolicy',
      [{ type: 'Ready', status: 'False', reason: 'RegistryNotAllowed', message: 'm' }],
      {
        registryRef: { name: 'r', namespace: 'central' },
      },
    );
    expect(adviceFor(waiting)).toEqual([
      "ContainerRegistry central/r does not exist or does not admit namespace shop: correct spec.registryRef, or ask the registry's owners to admit the namespace (spec.allowedNamespaces)",
    ]);
    const refused = obj(
      'RegistryToken',
      [{ type: 'Ready', status: 'False', reason: 'ScopeNotGranted', message: 'm' }],
      { registryRef: { name: 'r', namespace: 'central' } },
      { refusedAt: '2026-12-06T10:00:00Z' },
    );
    expect(adviceFor(refused)[0]).toContain(
      'berth revokes its credentials and deletes its Secret and copies',
    );
  });
});
