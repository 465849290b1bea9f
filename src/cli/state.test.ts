import { describe, expect, it } from 'vitest';
import type { BerthObject, Condition } from './objects.ts';
import { healthOf, sortProblemsFirst, summarize, whenOf } from './state.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');

function object(
  kind: BerthObject['kind'],
  name: string,
  conditions: Condition[] | undefined,
  extra: {
    namespace?: string;
    generation?: number;
    status?: Record<string, unknown>;
    spec?: Record<string, unknown>;
  } = {},
): BerthObject {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind,
    metadata: { name, namespace: extra.namespace ?? 'shop', generation: extra.generation ?? 1 },
    spec: extra.spec ?? {},
    status: { observedGeneration: 1, ...(conditions ? { conditions } : {}), ...extra.status },
  };
}

const ready = (status: string, reason = 'Succeeded', message = '', observedGeneration = 1): Condition => ({
  type: 'Ready',
  status,
  reason,
  message,
  observedGeneration,
  lastTransitionTime: '2026-06-01T11:00:00Z',
});
const stalled = (reason: string, message: string): Condition => ({
  type: 'Stalled',
  status: 'True',
  reason,
  message,
});

describe('healthOf', () => {
  it.each([
    ['Ready True for this generation', [ready('True')], 1, 'Ready'],
    ['Ready True for an older generation', [ready('True', 'Succeeded', '', 1)], 2, 'NotReady'],
    ['Ready False', [ready('False', 'ProgressingWithRetry')], 1, 'NotReady'],
    [
      'Stalled True (Ready False beside it)',
      [stalled('SecretConflict', 'x'), ready('False', 'SecretConflict')],
      1,
      'Stalled',
    ],
    ['no conditions at all', undefined, 1, 'NotReady'],
  ] as const)('%s: %s', (_, conditions, generation, want) => {
    expect(
      healthOf(object('RegistryToken', 't', conditions ? [...conditions] : undefined, { generation })),
    ).toBe(want);
  });
});

describe('summarize', () => {
  it('shows Stalled in the READY column with the Stalled reason and message', () => {
    const s = summarize(
      object('RegistryToken', 't', [stalled('SecretConflict', 'Secret t exists'), ready('False', 'X', 'y')]),
    );
    expect(s).toMatchObject({
      ready: 'Stalled',
      reason: 'SecretConflict',
      message: 'Secret t exists',
      health: 'Stalled',
    });
  });

  it('calls a spec change not acted on yet Unknown, and an object without status not observed', () => {
    expect(summarize(object('ContainerRegistry', 'r', [ready('True')], { generation: 3 }))).toMatchObject({
      ready: 'Unknown',
      reason: 'Progressing',
      message: 'generation 3 not acted on yet',
    });
    expect(summarize(object('ContainerRegistry', 'r', undefined))).toMatchObject({
      ready: 'Unknown',
      reason: 'NotObserved',
    });
  });

  it('keeps the times of each kind as RFC 3339', () => {
    const token = summarize(
      object('RegistryToken', 't', [ready('True')], {
        status: { expiresAt: '2026-07-01T12:00:00Z', renewAt: '2026-06-21T12:00:00Z' },
      }),
    );
    expect(token).toMatchObject({ expiresAt: '2026-07-01T12:00:00Z', renewAt: '2026-06-21T12:00:00Z' });
    const policy = summarize(
      object('CleanupPolicy', 'p', [ready('True')], {
        spec: { suspend: true },
        status: { lastRunAt: '2026-06-01T11:57:00Z' },
      }),
    );
    expect(policy).toMatchObject({ lastRunAt: '2026-06-01T11:57:00Z', suspended: true });
    expect(policy).not.toHaveProperty('nextRunAt');
  });
});

describe('whenOf', () => {
  const when = (o: BerthObject) => whenOf(summarize(o), NOW);
  it('says when a token expires and renews, relative to now', () => {
    const t = object('RegistryToken', 't', [ready('True')], {
      status: { expiresAt: '2026-07-01T12:00:00Z', renewAt: '2026-06-21T12:00:00Z' },
    });
    expect(when(t)).toBe('expires in 30d, renews in 20d');
  });

  it('says a renewal is overdue, and that a Quay robot never expires', () => {
    const t = object('RegistryToken', 't', [ready('True')], { status: { renewAt: '2026-06-01T11:55:00Z' } });
    expect(when(t)).toBe('never expires, renewal due 5m ago');
  });

  it('says when a policy ran and runs next, or that it is suspended or native', () => {
    const status = { lastRunAt: '2026-06-01T11:57:00Z', nextRunAt: '2026-06-01T18:00:00Z' };
    expect(when(object('CleanupPolicy', 'p', [ready('True')], { status }))).toBe('ran 3m ago, next in 6h');
    expect(when(object('CleanupPolicy', 'p', [ready('True')], { spec: { suspend: true } }))).toBe(
      'never ran, suspended',
    );
    expect(when(object('CleanupPolicy', 'p', [ready('True')], { spec: { mode: 'Native' } }))).toBe(
      'provider prunes (Native)',
    );
  });

  // A daily 03:00 UTC policy through one day, with the status the operator leaves: nextRunAt stays
  // on the slot until the run that started there ends, so just after 03:00 it lies in the past.
  it.each([
    ['00:10:00', '2026-05-31T03:00:05Z', '2026-06-01T03:00:00Z', 'ran 21h ago, next in 170m'],
    ['02:59:30', '2026-05-31T03:00:05Z', '2026-06-01T03:00:00Z', 'ran 23h ago, next in 30s'],
    ['03:00:00', '2026-05-31T03:00:05Z', '2026-06-01T03:00:00Z', 'ran 23h ago, run due now'],
    ['03:00:40', '2026-05-31T03:00:05Z', '2026-06-01T03:00:00Z', 'ran 24h ago, run due 40s ago'],
    ['03:05:00', '2026-06-01T03:00:05Z', '2026-06-02T03:00:00Z', 'ran 4m55s ago, next in 23h'],
    ['23:59:59', '2026-06-01T03:00:05Z', '2026-06-02T03:00:00Z', 'ran 20h ago, next in 3h'],
  ])('says at %s when a daily 03:00 policy ran and runs next', (time, lastRunAt, nextRunAt, expected) => {
    const policy = object('CleanupPolicy', 'p', [ready('True')], { status: { lastRunAt, nextRunAt } });
    expect(whenOf(summarize(policy), Date.parse(`2026-06-01T${time}Z`))).toBe(expected);
  });

  it('says when a registry was last compared with the provider', () => {
    expect(
      when(
        object('ContainerRegistry', 'r', [ready('True')], {
          status: { lastSyncTime: '2026-06-01T11:58:00Z' },
        }),
      ),
    ).toBe('synced 2m ago');
  });
});

describe('sortProblemsFirst', () => {
  it('puts Stalled first, then not Ready, then Ready; kinds in dependency order, then namespace and name', () => {
    const rows = [
      object('CleanupPolicy', 'p', [ready('True')]),
      object('RegistryToken', 'b', [ready('True')]),
      object('RegistryToken', 'a', [ready('True')], { namespace: 'z' }),
      object('RegistryToken', 'a', [ready('True')]),
      object('ContainerRegistry', 'r', [ready('True')]),
      object('CleanupPolicy', 'slow', [ready('False', 'ProgressingWithRetry')]),
      object('RegistryToken', 'waiting', [ready('False', 'RegistryNotReady')]),
      object('ContainerRegistry', 'broken', [stalled('AlreadyExists', 'x'), ready('False', 'AlreadyExists')]),
      object('RegistryToken', 'conflict', [stalled('SecretConflict', 'x'), ready('False', 'SecretConflict')]),
    ].map(summarize);
    expect(sortProblemsFirst(rows).map((r) => `${r.health} ${r.kind} ${r.namespace}/${r.name}`)).toEqual([
      'Stalled ContainerRegistry shop/broken',
      'Stalled RegistryToken shop/conflict',
      'NotReady RegistryToken shop/waiting',
      'NotReady CleanupPolicy shop/slow',
      'Ready ContainerRegistry shop/r',
      'Ready RegistryToken shop/a',
      'Ready RegistryToken shop/b',
      'Ready RegistryToken z/a',
      'Ready CleanupPolicy shop/p',
    ]);
  });
});
