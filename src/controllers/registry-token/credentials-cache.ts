import type { Clock } from '../runtime/clock.ts';
import type { CredentialsReader } from '../shared/credentials.ts';

/**
 * How long a provider credentials Secret read stays good. Every RegistryToken of a registry reads
 * the same Secret; without this each reconcile cost a GET. A changed Secret (fixed credentials)
 * takes effect within this long, as within the 30 s retry of bad credentials before.
 */
export const CREDENTIALS_TTL_MS = 30_000;

/**
 * A read-through cache of provider credentials Secrets (they carry no berth label, so no
 * label-selected informer holds them, and caching every Secret of the cluster is out of question).
 */
export function cachedCredentials(
  read: CredentialsReader,
  clock: Clock,
  ttlMs = CREDENTIALS_TTL_MS,
): CredentialsReader {
  const entries = new Map<string, { at: number; value: Awaited<ReturnType<CredentialsReader>> }>();
  return async (namespace, name) => {
    const key = `${namespace}/${name}`;
    const now = clock.now();
    const hit = entries.get(key);
    if (hit && now - hit.at < ttlMs) return hit.value;
    const value = await read(namespace, name);
    entries.set(key, { at: now, value });
    return value;
  };
}
