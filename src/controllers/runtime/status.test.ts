import { describe, expect, it } from 'vitest';
import { statusMergePatch } from './status.ts';

describe('statusMergePatch', () => {
  it('is undefined when nothing changed, so no write happens', () => {
    const status = { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True' }] };
    expect(statusMergePatch(status, structuredClone(status))).toBeUndefined();
  });

  it('carries changed keys and nulls removed ones', () => {
    expect(statusMergePatch({ a: 1, b: 2, c: 3 }, { a: 1, b: 5 })).toEqual({ b: 5, c: null });
  });

  it('writes everything on the first reconcile', () => {
    expect(statusMergePatch(undefined, { observedGeneration: 1 })).toEqual({ observedGeneration: 1 });
  });
});
