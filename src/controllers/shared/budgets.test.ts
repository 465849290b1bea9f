import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config.ts';
import { createMetrics } from '../../metrics.ts';
import { FakeClock } from '../runtime/clock.ts';
import { type BudgetDecision, RequestBudgets, waitText } from './budgets.ts';

const MINUTE = 60_000;

/** Budgets with the flags' defaults, or the given flags, on a clock the test moves. */
function budgetsWith(flags: string[] = []) {
  const clock = new FakeClock();
  const metrics = createMetrics({ defaultMetrics: false });
  return { clock, metrics, budgets: new RequestBudgets(parseConfig(flags, {}), clock, metrics) };
}

const allowed = (decisions: BudgetDecision[]) => decisions.filter((d) => d.allowed).length;
const times = <T>(n: number, fn: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => fn(i));

describe('RequestBudgets', () => {
  it('allows 6 rotations on request per token, then says which limit, which flag and when', async () => {
    const { clock, budgets } = budgetsWith();
    expect(allowed(times(6, () => budgets.take('rotation', 'team-a', 'team-a/pull')))).toBe(6);
    expect(budgets.take('rotation', 'team-a', 'team-a/pull')).toEqual({
      allowed: false,
      scope: 'object',
      retryAfterMs: 10 * MINUTE,
      message:
        'rotation on request throttled: 6 per hour per RegistryToken (--budget-token-rotations-per-hour); next allowed in 10m',
    });
    await clock.advance(2 * MINUTE);
    const refused = budgets.take('rotation', 'team-a', 'team-a/pull');
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 8 * MINUTE });
    expect(refused.allowed || refused.message).toMatch(/next allowed in 8m$/);
    await clock.advance(8 * MINUTE);
    expect(budgets.take('rotation', 'team-a', 'team-a/pull')).toEqual({ allowed: true });
    expect(budgets.take('rotation', 'team-a', 'team-a/pull').allowed).toBe(false);
    // Another token of the same team has its own budget.
    expect(budgets.take('rotation', 'team-a', 'team-a/push').allowed).toBe(true);
  });

  it('caps a namespace at 60 rotations an hour over all its tokens, and leaves other namespaces alone', () => {
    const { budgets } = budgetsWith();
    const burst = times(30, (i) => times(3, () => budgets.take('rotation', 'noisy', `noisy/t${i}`))).flat();
    expect(allowed(burst)).toBe(60);
    expect(burst.at(-1)).toEqual({
      allowed: false,
      scope: 'namespace',
      retryAfterMs: MINUTE,
      message:
        'rotation on request throttled: 60 per hour per namespace (--budget-namespace-rotations-per-hour); next allowed in 1m',
    });
    expect(budgets.take('rotation', 'quiet', 'quiet/pull')).toEqual({ allowed: true });
    // Cleanup runs are a budget of their own.
    expect(budgets.take('cleanupRun', 'noisy', 'noisy/weekly')).toEqual({ allowed: true });
  });

  it('takes from both levels or neither: a refusal spends nothing', async () => {
    const { clock, budgets } = budgetsWith();
    times(6, () => budgets.take('rotation', 'team', 'team/loop'));
    // A loop on one token, refused a thousand times, costs its namespace nothing.
    expect(allowed(times(1_000, () => budgets.take('rotation', 'team', 'team/loop')))).toBe(0);
    expect(allowed(times(54, (i) => budgets.take('rotation', 'team', `team/t${i}`)))).toBe(54);
    // The namespace is spent now; a fresh token is refused by it, and keeps its own six.
    expect(budgets.take('rotation', 'team', 'team/fresh')).toMatchObject({
      allowed: false,
      scope: 'namespace',
    });
    await clock.advance(6 * MINUTE);
    expect(allowed(times(6, () => budgets.take('rotation', 'team', 'team/fresh')))).toBe(6);
  });

  it('reports the longer wait when both levels are spent', async () => {
    const { clock, budgets } = budgetsWith([
      '--budget-token-rotations-per-hour=2',
      '--budget-namespace-rotations-per-hour=3',
    ]);
    budgets.take('rotation', 'ns', 'ns/a');
    budgets.take('rotation', 'ns', 'ns/a');
    budgets.take('rotation', 'ns', 'ns/b');
    await clock.advance(5 * MINUTE);
    // ns/a's next token is due in 25 min, the namespace's in 15.
    expect(budgets.take('rotation', 'ns', 'ns/a')).toMatchObject({
      scope: 'object',
      retryAfterMs: 25 * MINUTE,
    });
    expect(budgets.take('rotation', 'ns', 'ns/b')).toMatchObject({
      scope: 'namespace',
      retryAfterMs: 15 * MINUTE,
    });
  });

  it('allows 4 cleanup runs per policy and 20 per namespace, or what the registry’s grant says', async () => {
    const { clock, budgets } = budgetsWith();
    expect(allowed(times(5, () => budgets.take('cleanupRun', 'ci', 'ci/nightly')))).toBe(4);
    expect(budgets.take('cleanupRun', 'ci', 'ci/nightly')).toMatchObject({
      scope: 'object',
      message:
        'cleanup run on request throttled: 4 per hour per CleanupPolicy (--budget-policy-runs-per-hour); next allowed in 15m',
    });
    expect(allowed(times(3, () => budgets.take('cleanupRun', 'ci', 'ci/granted', 2)))).toBe(2);
    expect(budgets.take('cleanupRun', 'ci', 'ci/granted', 2)).toMatchObject({
      message:
        "cleanup run on request throttled: 2 per hour per CleanupPolicy (the registry's grant); next allowed in 30m",
    });
    // A grant of 0 lifts the per-policy limit; the namespace's 20 still hold.
    expect(allowed(times(30, () => budgets.take('cleanupRun', 'ci', 'ci/unlimited', 0)))).toBe(14);
    expect(budgets.take('cleanupRun', 'ci', 'ci/unlimited', 0)).toMatchObject({
      scope: 'namespace',
      message:
        'cleanup run on request throttled: 20 per hour per namespace (--budget-namespace-runs-per-hour); next allowed in 3m',
    });
    await clock.advance(3 * MINUTE);
    expect(budgets.take('cleanupRun', 'ci', 'ci/unlimited', 0)).toEqual({ allowed: true });
  });

  it('does not hand out a fresh burst when a grant changes its limit', () => {
    const { budgets } = budgetsWith();
    times(4, () => budgets.take('cleanupRun', 'ci', 'ci/p', 4));
    // Raised to 8 an hour: still empty, the next run is due after 60/8 minutes.
    expect(budgets.take('cleanupRun', 'ci', 'ci/p', 8)).toMatchObject({
      allowed: false,
      retryAfterMs: 7.5 * MINUTE,
    });
    // Back to the flag's 4: same.
    expect(budgets.take('cleanupRun', 'ci', 'ci/p')).toMatchObject({ allowed: false });
  });

  it('falls back to the flag for a grant value that is no count, and never rounds one down to unlimited', () => {
    const { budgets } = budgetsWith();
    expect(allowed(times(6, () => budgets.take('cleanupRun', 'ci', 'ci/nan', Number.NaN)))).toBe(4);
    expect(allowed(times(6, () => budgets.take('cleanupRun', 'ci', 'ci/negative', -3)))).toBe(4);
    expect(allowed(times(3, () => budgets.take('cleanupRun', 'ci', 'ci/half', 0.5)))).toBe(1);
    expect(budgets.take('cleanupRun', 'ci', 'ci/half', 0.5)).toMatchObject({
      message: expect.stringContaining("1 per hour per CleanupPolicy (the registry's grant)"),
    });
  });

  it('charges a request once, however often its reconcile is retried', () => {
    const { budgets } = budgetsWith();
    for (let attempt = 0; attempt < 10; attempt++)
      expect(budgets.take('rotation', 'team', 'team/pull', undefined, '2026-01-01T10:00:00Z')).toEqual({
        allowed: true,
      });
    expect(
      allowed(times(5, (i) => budgets.take('rotation', 'team', 'team/pull', undefined, `request-${i}`))),
    ).toBe(5);
    expect(budgets.take('rotation', 'team', 'team/pull', undefined, 'request-5').allowed).toBe(false);
  });

  it('lifts a limit set to 0, and refuses a flag that is not a whole number', () => {
    const { budgets } = budgetsWith([
      '--budget-token-rotations-per-hour=0',
      '--budget-namespace-rotations-per-hour=0',
    ]);
    expect(allowed(times(500, () => budgets.take('rotation', 'ns', 'ns/a')))).toBe(500);
    expect(budgets.held).toEqual({ objects: 0, namespaces: 0 });
    expect(() => parseConfig([], { BERTH_BUDGET_TOKEN_ROTATIONS_PER_HOUR: '' })).toThrow(ConfigError);
    expect(() => parseConfig(['--budget-policy-runs-per-hour=-1'], {})).toThrow(
      /--budget-policy-runs-per-hour \(BERTH_BUDGET_POLICY_RUNS_PER_HOUR\): budget-policy-runs-per-hour must be a whole number per hour, 0 for unlimited/,
    );
    expect(() => parseConfig(['--budget-namespace-runs-per-hour=2.5'], {})).toThrow(ConfigError);
  });

  it('holds memory for the objects busy in the last hour only, and forgets deleted ones', async () => {
    const { clock, budgets } = budgetsWith();
    for (let ns = 0; ns < 100; ns++)
      for (let t = 0; t < 50; t++) budgets.take('rotation', `ns${ns}`, `ns${ns}/t${t}`);
    expect(budgets.held).toEqual({ objects: 5_000, namespaces: 100 });
    budgets.forget('rotation', 'ns0/t0');
    budgets.forget('cleanupRun', 'ns0/t1');
    expect(budgets.held.objects).toBe(4_999);
    await clock.advance(61 * MINUTE);
    budgets.take('rotation', 'ns0', 'ns0/t0');
    expect(budgets.held).toEqual({ objects: 1, namespaces: 1 });
  });

  it('counts refusals by controller, kind and level, with no namespace in the labels', async () => {
    const { budgets, metrics } = budgetsWith();
    times(8, () => budgets.take('rotation', 'team', 'team/pull'));
    times(6, () => budgets.take('cleanupRun', 'team', 'team/nightly'));
    times(19, (i) => budgets.take('cleanupRun', 'team', `team/p${i}`));
    const text = await metrics.registry.metrics();
    const series = text.split('\n').filter((l) => l.startsWith('berth_requests_throttled_total{'));
    expect(series.sort()).toEqual([
      'berth_requests_throttled_total{controller="cleanup-policy",kind="cleanup_run",scope="namespace"} 3',
      'berth_requests_throttled_total{controller="cleanup-policy",kind="cleanup_run",scope="object"} 2',
      'berth_requests_throttled_total{controller="registry-token",kind="rotation",scope="namespace"} 0',
      'berth_requests_throttled_total{controller="registry-token",kind="rotation",scope="object"} 2',
    ]);
  });
});

describe('waitText', () => {
  it.each([
    [1, '1s'],
    [45_000, '45s'],
    [59_001, '1m'],
    [8 * MINUTE, '8m'],
    [7 * MINUTE + 1, '8m'],
    [60 * MINUTE, '1h'],
    [65 * MINUTE, '1h5m'],
  ])('%i ms reads as %s, never sooner than it is', (ms, text) => {
    expect(waitText(ms)).toBe(text);
  });
});
