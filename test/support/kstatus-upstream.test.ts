import type { KubernetesObject } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Condition } from '../../src/controllers/runtime/conditions.ts';
import {
  effectsOf,
  type Outcome,
  TerminalError,
  WaitingError,
} from '../../src/controllers/runtime/outcome.ts';
import { type KstatusResult, kstatusOf } from './kstatus.ts';
import { kstatusBinary, type UpstreamKstatus, upstreamKstatus } from './kstatus-upstream.ts';

const NOW = Date.UTC(2026, 10, 30, 5, 0, 0);

type Obj = KubernetesObject & { status?: { observedGeneration?: number; conditions?: Condition[] } };

/** A RegistryToken as the API server serves it, at `generation`, with `status` if given. */
function token(generation: number, status?: Obj['status'], extra: Partial<Obj['metadata']> = {}): Obj {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'RegistryToken',
    metadata: { name: 'shop-pull', namespace: 'shop', generation, ...extra },
    ...(status ? { status } : {}),
  };
}

function condition(type: string, status: Condition['status'], reason: string, generation: number): Condition {
  return {
    type,
    status,
    reason,
    message: `${type} is ${status}`,
    observedGeneration: generation,
    lastTransitionTime: '2026-11-30T05:00:00Z',
  };
}

interface Row {
  name: string;
  object: Obj;
  /** What sigs.k8s.io/cli-utils kstatus (Flux) says. */
  upstream: KstatusResult;
  /** Only where test/support/kstatus.ts answers otherwise, and why that is acceptable. */
  local?: { result: KstatusResult; why: string };
}

const ready = (g: number) => condition('Ready', 'True', 'Succeeded', g);
const rows: Row[] = [
  {
    name: 'a plain object without status (ConfigMap)',
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' } },
    upstream: 'Current',
    local: { result: 'InProgress', why: 'the local model wants Ready=True, which only berth kinds have' },
  },
  {
    name: 'a custom object without status (a berth CRD without the status default)',
    object: token(1),
    upstream: 'Current',
    local: { result: 'InProgress', why: 'the local model treats a missing observedGeneration as stale' },
  },
  {
    name: 'status.observedGeneration -1 (the CRD default before berth’s first write)',
    object: token(1, { observedGeneration: -1 }),
    upstream: 'InProgress',
  },
  {
    name: 'Ready=True at the current generation',
    object: token(2, { observedGeneration: 2, conditions: [ready(2)] }),
    upstream: 'Current',
  },
  {
    name: 'Ready=True for an older generation',
    object: token(3, { observedGeneration: 2, conditions: [ready(2)] }),
    upstream: 'InProgress',
  },
  {
    name: 'Stalled=True',
    object: token(2, {
      observedGeneration: 2,
      conditions: [
        condition('Stalled', 'True', 'SecretConflict', 2),
        condition('Ready', 'False', 'SecretConflict', 2),
      ],
    }),
    upstream: 'Failed',
  },
  {
    name: 'Reconciling=True',
    object: token(2, {
      observedGeneration: 2,
      conditions: [
        condition('Reconciling', 'True', 'ProgressingWithRetry', 2),
        condition('Ready', 'False', 'ProviderError', 2),
      ],
    }),
    upstream: 'InProgress',
  },
  {
    name: 'Ready=False alone',
    object: token(2, {
      observedGeneration: 2,
      conditions: [condition('Ready', 'False', 'ProviderError', 2)],
    }),
    upstream: 'InProgress',
  },
  {
    name: 'observed, but no conditions at all',
    object: token(2, { observedGeneration: 2, conditions: [] }),
    upstream: 'Current',
    local: { result: 'InProgress', why: 'berth writes Ready in the same write as observedGeneration' },
  },
  {
    name: 'deletion requested',
    object: token(2, { observedGeneration: 2, conditions: [ready(2)] }, { deletionTimestamp: new Date(NOW) }),
    upstream: 'Terminating',
  },
];

/** Every outcome the controller engine maps to conditions, as written at generation 4. */
const outcomes: { name: string; outcome: Outcome; upstream: KstatusResult }[] = [
  { name: 'success', outcome: { kind: 'success', result: { message: 'ok' } }, upstream: 'Current' },
  {
    name: 'waiting',
    outcome: { kind: 'waiting', error: new WaitingError('Provisioning', 'provisioning', 10_000) },
    upstream: 'InProgress',
  },
  {
    name: 'transient error',
    outcome: { kind: 'transient', error: new Error('ionos answered 503'), reason: 'ProviderError' },
    upstream: 'InProgress',
  },
  {
    name: 'terminal error',
    outcome: { kind: 'terminal', error: new TerminalError('InvalidSpec', 'spec.lifetime too short') },
    upstream: 'Failed',
  },
];

/** The object the engine leaves behind after `outcome` on a token at generation 4. */
function afterOutcome(outcome: Outcome): Obj {
  const { conditions } = effectsOf(outcome, [], 4, NOW);
  return token(4, { observedGeneration: 4, conditions });
}

const binary = kstatusBinary();

describe('kstatus as Flux computes it (cli-utils) and as berth’s tests model it', () => {
  let upstream: UpstreamKstatus[] = [];
  beforeAll(async () => {
    if (binary) upstream = await upstreamKstatus(rows.map((r) => r.object));
  });

  it.each(rows.map((r, i) => ({ ...r, i })))('$name', ({ object, upstream: want, local, i }) => {
    expect(kstatusOf(object)).toBe(local?.result ?? want);
    if (binary) expect(upstream[i]?.status).toBe(want);
  });

  it('disagree only on objects without a Ready condition, which berth never leaves after a reconcile', () => {
    const differing = rows.filter((r) => r.local !== undefined);
    expect(differing.every((r) => !r.object.status?.conditions?.some((c) => c.type === 'Ready'))).toBe(true);
  });

  it.skipIf(!binary)('tells a Flux user why a new object is not healthy yet', () => {
    const fresh = upstream[rows.findIndex((r) => r.object.status?.observedGeneration === -1)];
    expect(fresh?.message).toBe('RegistryToken generation is 1, but latest observed generation is -1');
  });
});

describe('every outcome of a reconcile, as Flux reads the status the engine writes', () => {
  it.each(outcomes)('$name is $upstream', async ({ outcome, upstream: want }) => {
    const object = afterOutcome(outcome);
    expect(kstatusOf(object)).toBe(want);
    if (binary) expect((await upstreamKstatus([object]))[0]?.status).toBe(want);
  });
});
