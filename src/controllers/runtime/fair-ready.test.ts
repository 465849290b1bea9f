import { describe, expect, it } from 'vitest';
import { FairReadyKeys, namespaceOfKey } from './fair-ready.ts';

describe('FairReadyKeys', () => {
  it('keeps each namespace’s order through a burst of 5,000 and interleaves the namespaces', () => {
    const ready = new FairReadyKeys();
    for (let i = 0; i < 5_000; i++) ready.push(`big/k${i}`);
    for (let i = 0; i < 3; i++) ready.push(`small/k${i}`);
    expect(ready.size).toBe(5_003);
    expect(ready.namespaces).toBe(2);
    const taken: string[] = [];
    for (let key = ready.shift(); key !== undefined; key = ready.shift()) taken.push(key);
    expect(taken.slice(0, 6)).toEqual(['big/k0', 'small/k0', 'big/k1', 'small/k1', 'big/k2', 'small/k2']);
    expect(taken.filter((k) => k.startsWith('big/'))).toEqual(
      Array.from({ length: 5_000 }, (_, i) => `big/k${i}`),
    );
    expect(ready.size).toBe(0);
    expect(ready.namespaces).toBe(0);
  });

  it('sends a namespace that ran dry to the back of the line when it has work again', () => {
    // a is served and leaves; c, then a again, join behind b, whose second key waits its next turn.
    const ready = new FairReadyKeys();
    ready.push('a/1');
    ready.push('b/1');
    ready.push('b/2');
    expect(ready.shift()).toBe('a/1');
    ready.push('c/1');
    ready.push('a/2');
    expect([ready.shift(), ready.shift(), ready.shift(), ready.shift()]).toEqual([
      'b/1',
      'c/1',
      'a/2',
      'b/2',
    ]);
    expect(ready.shift()).toBeUndefined();
  });

  it('forgets everything on clear', () => {
    const ready = new FairReadyKeys();
    ready.push('a/1');
    ready.push('b/1');
    ready.clear();
    expect(ready.size).toBe(0);
    expect(ready.shift()).toBeUndefined();
    ready.push('b/2');
    expect(ready.shift()).toBe('b/2');
  });

  it('puts cluster-scoped keys and keys without a namespace in one shared namespace', () => {
    expect(namespaceOfKey('team-a/pull')).toBe('team-a');
    expect(namespaceOfKey('/cluster-wide')).toBe('');
    expect(namespaceOfKey('bare')).toBe('');
  });
});
