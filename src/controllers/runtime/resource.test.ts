import { describe, expect, it } from 'vitest';
import { keyOf, parseKey } from './resource.ts';

describe('work-queue keys', () => {
  it('round-trip namespace and name', () => {
    const key = keyOf({ metadata: { namespace: 'team-a', name: 'pull' } });
    expect(key).toBe('team-a/pull');
    expect(parseKey(key)).toEqual({ namespace: 'team-a', name: 'pull' });
  });

  it('read a key without a namespace as a name alone, not a name cut short', () => {
    expect(parseKey('abc')).toEqual({ namespace: '', name: 'abc' });
    expect(parseKey('/abc')).toEqual({ namespace: '', name: 'abc' });
  });
});
