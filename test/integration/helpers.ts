import { randomBytes } from 'node:crypto';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { inject } from 'vitest';
import { loadKubeConfig } from '../../src/dev/kubeconfig.ts';

/** The shared test cluster's admin KubeConfig (from the global setup). */
export function adminKubeConfig(): KubeConfig {
  return loadKubeConfig(inject('kubeconfig'));
}

/** A logger for code under test; quiet unless BERTH_TEST_LOG_LEVEL asks for more. */
export const testLogger = pino({ level: process.env.BERTH_TEST_LOG_LEVEL ?? 'silent' });

/** A short random suffix, so test objects never collide across files or runs. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Creates a namespace for one test file and returns its name. */
export async function createNamespace(kc: KubeConfig, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  return name;
}

/** Polls `check` until it returns a value other than undefined/false, or fails with the last error. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 30_000, intervalMs = 200, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A daily UTC schedule whose slot is 12 hours after `fromMs` (to the next whole minute), so no
 * scheduled run starts while the tests run, whatever the time of day; `slot` is that moment. A
 * fixed "0 3 * * *" on a policy that is not suspended runs in the middle of a test started just
 * before 03:00 UTC.
 */
export function dailyScheduleAway(fromMs: number): { schedule: string; slot: number } {
  const slot = Math.ceil((fromMs + 12 * 3_600_000) / 60_000) * 60_000;
  const at = new Date(slot);
  return { schedule: `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`, slot };
}

/** The HTTP status of a failed client-node call (ApiException.code), or undefined. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}
