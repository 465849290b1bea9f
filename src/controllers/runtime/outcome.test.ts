import { describe, expect, it } from 'vitest';
import { kstatusOf, kstatusViolations } from '../../../test/support/kstatus.ts';
import type { Condition } from './conditions.ts';
import { classify, effectsOf, TerminalError, WaitingError } from './outcome.ts';

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const generation = 3;

function asObject(conditions: Condition[]) {
  return { metadata: { name: 'x', generation }, status: { observedGeneration: generation, conditions } };
}

describe('effectsOf: the single outcome mapping', () => {
  it('success: Ready=True, no Reconciling/Stalled, backoff forgotten; kstatus Current', () => {
    const fx = effectsOf(classify({}, undefined), [], generation, T0);
    expect(fx.queue).toEqual({ kind: 'forget' });
    expect(fx.result).toBe('success');
    expect(fx.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['Ready=True']);
    expect(kstatusViolations(asObject(fx.conditions))).toEqual([]);
    expect(kstatusOf(asObject(fx.conditions))).toBe('Current');
  });

  it('success with requeueAfter: requeued at that time, still Ready', () => {
    const fx = effectsOf(classify({ requeueAfterMs: 60_000 }, undefined), [], generation, T0);
    expect(fx.queue).toEqual({ kind: 'forgetAndRequeueAfter', afterMs: 60_000 });
    expect(fx.result).toBe('requeue_after');
  });

  it('terminal: Stalled=True and Ready=False with the reason, no retry, a Warning event; kstatus Failed', () => {
    const err = new TerminalError('InvalidSpec', 'spec.lifetime: must be a duration');
    const fx = effectsOf(classify(undefined, err), [], generation, T0);
    expect(fx.queue).toEqual({ kind: 'forget' });
    expect(fx.event).toEqual({
      type: 'Warning',
      reason: 'InvalidSpec',
      note: 'spec.lifetime: must be a duration',
    });
    const ready = fx.conditions.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'InvalidSpec', observedGeneration: generation });
    expect(kstatusViolations(asObject(fx.conditions))).toEqual([]);
    expect(kstatusOf(asObject(fx.conditions))).toBe('Failed');
  });

  it('terminal with recheckAfterMs: still Stalled (kstatus Failed), but looked at again that much later', () => {
    const err = new TerminalError('RegistryFailed', 'IONOS reports the registry as FAILED', {
      recheckAfterMs: 600_000,
    });
    const fx = effectsOf(classify(undefined, err), [], generation, T0);
    expect(fx.queue).toEqual({ kind: 'forgetAndRequeueAfter', afterMs: 600_000 });
    expect(fx.result).toBe('terminal_error');
    expect(kstatusOf(asObject(fx.conditions))).toBe('Failed');
  });

  it('waiting: Reconciling=True, requeue after the given time, not an error; kstatus InProgress', () => {
    const err = new WaitingError('Provisioning', 'registry is being created', 15_000);
    const fx = effectsOf(classify(undefined, err), [], generation, T0);
    expect(fx.queue).toEqual({ kind: 'forgetAndRequeueAfter', afterMs: 15_000 });
    expect(fx.result).toBe('waiting');
    expect(fx.event).toBeUndefined();
    expect(kstatusViolations(asObject(fx.conditions))).toEqual([]);
    expect(kstatusOf(asObject(fx.conditions))).toBe('InProgress');
  });

  it('transient: backoff, Reconciling=True ProgressingWithRetry, Ready=False', () => {
    const fx = effectsOf(classify(undefined, new Error('provider returned 503')), [], generation, T0);
    expect(fx.queue).toEqual({ kind: 'rateLimited' });
    expect(fx.result).toBe('error');
    expect(fx.conditions.find((c) => c.type === 'Reconciling')?.reason).toBe('ProgressingWithRetry');
    expect(kstatusViolations(asObject(fx.conditions))).toEqual([]);
  });

  it('409 conflict: quiet quick retry, conditions untouched', () => {
    const conflict = Object.assign(new Error('Conflict'), { code: 409 });
    const before = effectsOf(classify({}, undefined), [], generation, T0).conditions;
    const fx = effectsOf(classify(undefined, conflict), before, generation, T0 + 5_000);
    expect(fx.queue).toEqual({ kind: 'requeueSoon' });
    expect(fx.conditions).toEqual(before);
    expect(fx.event).toBeUndefined();
  });

  it('moves lastTransitionTime only when a status flips', () => {
    const ok = effectsOf(classify({}, undefined), [], generation, T0).conditions;
    const okAgain = effectsOf(
      classify({ message: 'other' }, undefined),
      ok,
      generation,
      T0 + 60_000,
    ).conditions;
    expect(okAgain.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('2026-11-22T10:00:00Z');
    const failed = effectsOf(
      classify(undefined, new Error('x')),
      okAgain,
      generation,
      T0 + 120_000,
    ).conditions;
    expect(failed.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('2026-11-22T10:02:00Z');
  });

  it('recovering from Stalled clears it', () => {
    const stalled = effectsOf(
      classify(undefined, new TerminalError('InvalidSpec', 'bad')),
      [],
      1,
      T0,
    ).conditions;
    const fixed = effectsOf(classify({}, undefined), stalled, 2, T0 + 1_000).conditions;
    expect(fixed.map((c) => c.type)).toEqual(['Ready']);
  });
});

describe('requeue jitter', () => {
  it('adds up to 10 % but never more than 30 s, and never runs early', async () => {
    const { jitter } = await import('./controller.ts');
    expect(jitter(10_000, () => 0)).toBe(10_000);
    expect(jitter(10_000, () => 0.999)).toBe(10_999);
    // A renewal 20 days away is jittered by seconds, not by two days.
    expect(jitter(20 * 86_400_000, () => 1)).toBe(20 * 86_400_000 + 30_000);
  });
});
