import { describe, expect, it } from 'vitest';
import { cacheNamespace } from './namespaces.ts';

describe('the Namespace cache', () => {
  it('keeps name, labels and only the annotations asked for, bounded', () => {
    const labels: Record<string, string> = { app: 'shop' };
    for (let i = 0; i < 5000; i++) labels[`example.com/l${String(i).padStart(4, '0')}`] = 'v'.repeat(63);
    const cached = cacheNamespace(
      {
        metadata: {
          name: 'shop',
          uid: 'u',
          resourceVersion: '4',
          labels,
          annotations: {
            'berth.dev/accept-copies-from': 'team-a',
            'berth.dev/accept-copy-labels': 'x,'.repeat(100_000),
            'kubectl.kubernetes.io/last-applied-configuration': 'z'.repeat(200_000),
          },
          managedFields: [{ manager: 'kubectl' }],
        },
      },
      ['berth.dev/accept-copies-from', 'berth.dev/accept-copy-labels'],
    );
    expect(JSON.stringify(cached).length).toBeLessThan(10_000);
    expect(cached.metadata?.name).toBe('shop');
    expect(cached.metadata?.labels?.app).toBe('shop');
    expect(cached.metadata?.annotations?.['berth.dev/accept-copies-from']).toBe('team-a');
    // Too long to keep: a digest, which no consent check reads as an entry.
    expect(cached.metadata?.annotations?.['berth.dev/accept-copy-labels']).toMatch(/^oversized:sha256:/);
    expect(
      cached.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration'],
    ).toBeUndefined();
    expect(cacheNamespace(cached, ['berth.dev/accept-copies-from', 'berth.dev/accept-copy-labels'])).toEqual(
      cached,
    );
  });
});
