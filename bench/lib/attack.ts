// The tenant attack of issue 18, item 2, for the benchmark: Secrets labelled as berth's, 1 MiB each,
// in a namespace the operator watches, then a relist of all of them (the operator restarted).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CoreV1Api } from '@kubernetes/client-node';

/** Size of one attack Secret's data: just under 1 MiB, so the object stays within etcd's limit. */
export const ATTACK_SECRET_BYTES = 1024 * 1024 - 4096;

/** Creates `count` Secrets of {@link ATTACK_SECRET_BYTES} labelled `app.kubernetes.io/managed-by: berth`, 4 at a time. */
export async function floodSecrets(
  core: CoreV1Api,
  namespace: string,
  count: number,
  onEach?: () => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = next++; i < count; i = next++) {
        await core.createNamespacedSecret({
          namespace,
          body: {
            metadata: { name: `flood-${i}`, labels: { 'app.kubernetes.io/managed-by': 'berth' } },
            data: { blob: randomBytes(ATTACK_SECRET_BYTES).toString('base64') },
          },
        });
        await onEach?.();
      }
    }),
  );
}

/** A process's resident memory now and its peak (VmHWM) in MiB, from the kernel; undefined once it is gone. */
export function processMemory(pid: number | undefined): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
  } catch {
    return undefined;
  }
}
