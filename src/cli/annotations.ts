/**
 * The annotations through which berth takes requests, each answered once per new value. Written
 * out here so the CLI does not load the controllers; a unit test keeps them equal to theirs.
 */
export const Annotation = {
  /** RegistryToken: rotate once (src/controllers/registry-token/reasons.ts). */
  RotateRequested: 'berth.dev/rotate-requested-at',
  /** CleanupPolicy: run once now; answered in status.lastHandledRunRequestAt. */
  RunRequested: 'berth.dev/run-requested-at',
  /** Every kind: reconcile once now; the engine echoes it into status.lastHandledReconcileAt. */
  ReconcileRequested: 'berth.dev/reconcile-requested-at',
} as const;

/** On the Secret a RegistryToken writes: the rotate-requested-at value it honoured. */
export const SECRET_ROTATION_REQUEST = 'berth.dev/rotation-request';
/** On the Secret a RegistryToken writes: the provider's ID of the credential it holds. */
export const SECRET_CREDENTIAL_ID = 'berth.dev/credential-id';

/**
 * A new request value: the current time in RFC 3339 with milliseconds (as `date -Is` would give,
 * finer), made different from every `previous` value if two requests fall in the same millisecond.
 */
export function requestValue(nowMs: number, previous: readonly (string | undefined)[] = []): string {
  let ms = nowMs;
  while (previous.includes(new Date(ms).toISOString())) ms++;
  return new Date(ms).toISOString();
}
