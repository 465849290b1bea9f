/** The metav1.Condition shape every berth kind uses in `status.conditions`. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** The kstatus condition types (Ready summarises; Reconciling and Stalled are abnormal-true). */
export const ConditionType = {
  Ready: 'Ready',
  Reconciling: 'Reconciling',
  Stalled: 'Stalled',
} as const;

/** Reasons shared by every controller; domain reasons live beside their controllers. */
export const Reason = {
  Succeeded: 'Succeeded',
  Progressing: 'Progressing',
  ProgressingWithRetry: 'ProgressingWithRetry',
  InvalidSpec: 'InvalidSpec',
  DependencyNotReady: 'DependencyNotReady',
  Failed: 'Failed',
} as const;

/** Longest condition message kept; the API allows 32 KiB and long messages help nobody. */
export const MAX_MESSAGE_LENGTH = 2_048;

const ORDER = [ConditionType.Stalled, ConditionType.Reconciling, ConditionType.Ready] as string[];

/** A condition to set: everything but the bookkeeping fields. */
export interface ConditionInput {
  type: string;
  status: Condition['status'];
  reason: string;
  message: string;
}

/** metav1.Time has second precision; anything finer would change on every write. */
export function toMetaTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * A deadline as a metav1.Time, rounded up to the second: a "not before" time such as the end of a
 * grace period must never come earlier than asked (rounding down cut a 1 s grace to nearly none).
 */
export function toMetaTimeNotBefore(ms: number): string {
  return toMetaTime(Math.ceil(ms / 1000) * 1000);
}

/**
 * Returns the conditions with `input` set: `lastTransitionTime` moves only when the status flips
 * (as apimachinery's SetStatusCondition), `observedGeneration` is stamped, the message trimmed, and
 * Stalled, Reconciling, Ready sorted first so `kubectl describe` shows them on top.
 */
export function setCondition(
  conditions: readonly Condition[],
  input: ConditionInput,
  generation: number | undefined,
  nowMs: number,
): Condition[] {
  const existing = conditions.find((c) => c.type === input.type);
  const message =
    input.message.length > MAX_MESSAGE_LENGTH
      ? `${input.message.slice(0, MAX_MESSAGE_LENGTH - 1)}…`
      : input.message;
  const next: Condition = {
    type: input.type,
    status: input.status,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    lastTransitionTime:
      existing && existing.status === input.status ? existing.lastTransitionTime : toMetaTime(nowMs),
    reason: input.reason,
    message,
  };
  return sortConditions([...conditions.filter((c) => c.type !== input.type), next]);
}

/** Returns the conditions without the given type. */
export function removeCondition(conditions: readonly Condition[], type: string): Condition[] {
  return conditions.filter((c) => c.type !== type);
}

/** Finds a condition by type. */
export function getCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when the condition exists with status True. */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

function sortConditions(conditions: Condition[]): Condition[] {
  const rank = (c: Condition) => {
    const i = ORDER.indexOf(c.type);
    return i === -1 ? ORDER.length : i;
  };
  return conditions.sort((a, b) => rank(a) - rank(b) || a.type.localeCompare(b.type));
}
