import { describe, expect, it } from 'vitest';
import {
  ATTACHED_ANNOTATION,
  attachedNames,
  cacheServiceAccount,
  planAttach,
  planDetach,
} from './service-accounts.ts';

const entries = (...names: string[]) => names.map((name) => ({ name }));

describe('what berth attaches to and detaches from a ServiceAccount (issue 18, item 3)', () => {
  it('item 3: records an entry it appends, and never one that was already there', () => {
    expect(planAttach({ entries: entries('theirs'), attached: [] }, 'shop-pull')).toEqual({
      entries: entries('theirs', 'shop-pull'),
      attached: ['shop-pull'],
    });
    expect(planAttach({ entries: entries('shop-pull'), attached: [] }, 'shop-pull')).toBeUndefined();
  });

  it('item 3: detaches only what its record says it attached, and takes it off the record', () => {
    expect(planDetach({ entries: entries('team-b-pull'), attached: [] }, 'team-b-pull')).toBeUndefined();
    expect(
      planDetach({ entries: entries('a', 'shop-pull', 'b'), attached: ['x', 'shop-pull'] }, 'shop-pull'),
    ).toEqual({ entries: entries('a', 'b'), attached: ['x'] });
    // Recorded but removed by hand meanwhile: only the record is cleaned.
    expect(planDetach({ entries: entries('a'), attached: ['shop-pull'] }, 'shop-pull')).toEqual({
      entries: entries('a'),
      attached: [],
    });
  });

  it('reads the record leniently', () => {
    expect(attachedNames(' a, b ,,a')).toEqual(['a', 'b']);
    expect(attachedNames(undefined)).toEqual([]);
  });

  it('item 2: caches a few names of a ServiceAccount, however many entries a tenant gives it', () => {
    const small = cacheServiceAccount({
      metadata: {
        name: 'default',
        namespace: 'a',
        resourceVersion: '3',
        annotations: { [ATTACHED_ANNOTATION]: 'shop-pull', other: 'x'.repeat(100_000) },
        labels: { a: 'b' },
      },
      imagePullSecrets: entries('shop-pull', 'y'.repeat(10_000)),
      secrets: entries('token'),
    } as never);
    expect(small).toEqual({
      metadata: {
        name: 'default',
        namespace: 'a',
        resourceVersion: '3',
        annotations: { [ATTACHED_ANNOTATION]: 'shop-pull' },
      },
      imagePullSecrets: entries('shop-pull'),
    });
    const many = cacheServiceAccount({
      metadata: { name: 'default', namespace: 'a' },
      imagePullSecrets: Array.from({ length: 10_000 }, (_, i) => ({ name: `s${i}` })),
    } as never);
    expect(many).toEqual({ metadata: { name: 'default', namespace: 'a' }, pullSecretsTruncated: true });
    expect(cacheServiceAccount(many)).toEqual(many);
  });
});
