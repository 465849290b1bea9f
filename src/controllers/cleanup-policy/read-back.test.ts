import { describe, expect, it } from 'vitest';
import type { RunItem } from '../../crds/cleanup-rules.ts';
import { READ_BACK_SAMPLE, readBackSample, verifyDeletions } from './read-back.ts';

const item = (repository: string, n: number, action: RunItem['action'] = 'Deleted'): RunItem => ({
  repository,
  digest: `sha256:${String(n).padStart(64, '0')}`,
  tags: [`v${n}`],
  action,
  reason: 'r',
});

describe('the read-back sample', () => {
  it('takes at most five deletions, in turn from each repository, the same every time', () => {
    const items = [
      ...Array.from({ length: 10 }, (_, n) => item('b', n)),
      item('a', 0),
      item('c', 0, 'AlreadyGone'),
      item('c', 1, 'Kept'),
      item('c', 2, 'Failed'),
    ];
    const sample = readBackSample(items);
    expect(sample).toHaveLength(READ_BACK_SAMPLE);
    expect(sample.map((i) => `${i.repository}${i.digest?.slice(-1)}`)).toEqual([
      'a0',
      'b0',
      'c0',
      'b1',
      'b2',
    ]);
    expect(readBackSample([...items].reverse()).map((i) => i.repository)).toEqual(['a', 'b', 'c', 'b', 'b']);
  });

  it('proves nothing when the read-back fails: the items stay as reported', async () => {
    const items = [item('a', 0), item('a', 1, 'AlreadyGone')];
    const failing = async () => Promise.reject(new Error('HTTP 503'));
    const result = await verifyDeletions(items, { sample: failing, listing: failing });
    expect(result).toEqual({ items, notEffective: [] });
  });
});
