import pino from 'pino';
import type { ReconcileRequest } from '../runtime/controller.ts';

/**
 * For unit tests only: the request the controller hands a CleanupPolicy reconcile, with `now`
 * from the test's clock and every write a no-op (the tests look at the status they pass in).
 */
export function policyRequest<T>(
  object: T,
  status: Record<string, unknown>,
  now: () => number,
): ReconcileRequest<T> {
  return {
    object,
    status,
    logger: pino({ level: 'silent' }),
    recordEvent: async () => undefined,
    signal: new AbortController().signal,
    now,
    deleting: false,
    ensureFinalizer: async () => false,
    removeFinalizer: async () => false,
    persistStatus: async () => undefined,
    recordIntent: async () => undefined,
    waitShared: (work) => work,
  };
}
