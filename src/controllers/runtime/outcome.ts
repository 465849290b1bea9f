import { type Condition, ConditionType, Reason, removeCondition, setCondition } from './conditions.ts';

/** What a reconcile returns when it finished: optionally, when to look again. */
export interface ReconcileResult {
  /** Reconcile again after this long (jittered by the controller), e.g. at a token's renewal time. */
  requeueAfterMs?: number;
  /** The Ready message to show, e.g. "token valid until ...". */
  message?: string;
}

/**
 * Needs the user: nothing will change by retrying. Sets Stalled=True; no requeue, unless
 * `recheckAfterMs` asks to look again that much later because the cause may clear outside the
 * cluster (a registry the provider reports failed, repaired by its support).
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  readonly reason: string;
  readonly recheckAfterMs: number | undefined;
  constructor(reason: string, message: string, options?: ErrorOptions & { recheckAfterMs?: number }) {
    super(message, options);
    this.reason = reason;
    this.recheckAfterMs = options?.recheckAfterMs;
  }
}

/** Not a failure: something is on its way (a provider provisioning). Reconciling=True; retry after `afterMs`. */
export class WaitingError extends Error {
  override readonly name = 'WaitingError';
  readonly reason: string;
  readonly afterMs: number;
  constructor(reason: string, message: string, afterMs: number, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
    this.afterMs = afterMs;
  }
}

/** A failure worth retrying with backoff, with a reason for the Ready condition (default `Failed`). */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  readonly reason: string;
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** The outcome of one reconcile, as the controller sees it. */
export type Outcome =
  | { kind: 'success'; result: ReconcileResult }
  | { kind: 'terminal'; error: TerminalError }
  | { kind: 'waiting'; error: WaitingError }
  | { kind: 'conflict'; error: Error }
  | { kind: 'transient'; error: Error; reason: string };

/** What to do with the queue after an outcome. */
export type QueueAction =
  | { kind: 'forget' }
  | { kind: 'forgetAndRequeueAfter'; afterMs: number }
  | { kind: 'rateLimited' }
  | { kind: 'requeueSoon' };

/** An event to record for an outcome. */
export interface OutcomeEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  note: string;
}

/** The full consequence of an outcome: queue action, new conditions, event and metric label. */
export interface OutcomeEffects {
  queue: QueueAction;
  conditions: Condition[];
  event?: OutcomeEvent;
  /** `result` label of berth_controller_reconcile_total. */
  result: 'success' | 'requeue_after' | 'error' | 'terminal_error' | 'waiting' | 'conflict';
}

/** Classifies whatever a reconcile returned or threw. */
export function classify(returned: ReconcileResult | undefined, thrown: unknown): Outcome {
  if (thrown === undefined) return { kind: 'success', result: returned ?? {} };
  if (thrown instanceof TerminalError) return { kind: 'terminal', error: thrown };
  if (thrown instanceof WaitingError) return { kind: 'waiting', error: thrown };
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  if (httpStatusOf(thrown) === 409) return { kind: 'conflict', error };
  const reason =
    typeof (thrown as { reason?: unknown }).reason === 'string'
      ? (thrown as { reason: string }).reason
      : Reason.Failed;
  return { kind: 'transient', error, reason };
}

/**
 * The one place where an outcome becomes queue action, conditions and event (Flux's
 * ComputeReconcileResult): success is Ready=True; waiting is Reconciling=True with Ready=False;
 * terminal is Stalled=True with Ready=False and no retry; transient is Ready=False with
 * Reconciling=True (ProgressingWithRetry) and backoff; a 409 is a quiet, quick retry.
 */
export function effectsOf(
  outcome: Outcome,
  previous: readonly Condition[],
  generation: number | undefined,
  nowMs: number,
): OutcomeEffects {
  const set = (
    conds: Condition[],
    type: string,
    status: Condition['status'],
    reason: string,
    message: string,
  ) => setCondition(conds, { type, status, reason, message }, generation, nowMs);
  let conds = [...previous];
  switch (outcome.kind) {
    case 'success': {
      conds = removeCondition(removeCondition(conds, ConditionType.Stalled), ConditionType.Reconciling);
      conds = set(
        conds,
        ConditionType.Ready,
        'True',
        Reason.Succeeded,
        outcome.result.message ?? 'Reconciled',
      );
      const after = outcome.result.requeueAfterMs;
      return after !== undefined && after > 0
        ? {
            queue: { kind: 'forgetAndRequeueAfter', afterMs: after },
            conditions: conds,
            result: 'requeue_after',
          }
        : { queue: { kind: 'forget' }, conditions: conds, result: 'success' };
    }
    case 'waiting': {
      const { reason, message, afterMs } = outcome.error;
      conds = removeCondition(conds, ConditionType.Stalled);
      conds = set(conds, ConditionType.Reconciling, 'True', reason, message);
      conds = set(conds, ConditionType.Ready, 'False', reason, message);
      return { queue: { kind: 'forgetAndRequeueAfter', afterMs }, conditions: conds, result: 'waiting' };
    }
    case 'terminal': {
      const { reason, message, recheckAfterMs } = outcome.error;
      conds = removeCondition(conds, ConditionType.Reconciling);
      conds = set(conds, ConditionType.Stalled, 'True', reason, message);
      conds = set(conds, ConditionType.Ready, 'False', reason, message);
      return {
        queue:
          recheckAfterMs !== undefined && recheckAfterMs > 0
            ? { kind: 'forgetAndRequeueAfter', afterMs: recheckAfterMs }
            : { kind: 'forget' },
        conditions: conds,
        event: { type: 'Warning', reason, note: message },
        result: 'terminal_error',
      };
    }
    case 'transient': {
      const message = outcome.error.message;
      conds = removeCondition(conds, ConditionType.Stalled);
      conds = set(conds, ConditionType.Reconciling, 'True', Reason.ProgressingWithRetry, message);
      conds = set(conds, ConditionType.Ready, 'False', outcome.reason, message);
      return {
        queue: { kind: 'rateLimited' },
        conditions: conds,
        event: { type: 'Warning', reason: outcome.reason, note: message },
        result: 'error',
      };
    }
    case 'conflict':
      return { queue: { kind: 'requeueSoon' }, conditions: conds, result: 'conflict' };
  }
}

/** The HTTP status carried by a client-node ApiException or a watch error, if any. */
export function httpStatusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}
