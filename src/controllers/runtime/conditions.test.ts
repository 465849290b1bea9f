import { describe, expect, it } from 'vitest';
import { toMetaTime, toMetaTimeNotBefore } from './conditions.ts';

describe('metav1.Time in whole seconds', () => {
  const at = Date.UTC(2026, 10, 30, 12, 0, 0, 100);
  it('records when something happened rounded down', () => {
    expect(toMetaTime(at)).toBe('2026-11-30T12:00:00Z');
  });
  it('records a deadline rounded up, so a 1 s grace period is never cut short', () => {
    expect(toMetaTimeNotBefore(at + 1_000)).toBe('2026-11-30T12:00:02Z');
    expect(toMetaTimeNotBefore(Date.UTC(2026, 10, 30, 12, 0, 1))).toBe('2026-11-30T12:00:01Z');
  });
});
