import { describe, expect, it } from 'vitest';
import { mostRunsInAnyHour } from './frequency.ts';

const from = Date.parse('2026-03-28T12:00:00Z');

describe('mostRunsInAnyHour', () => {
  it.each([
    ['0 3 * * *', 'UTC', 10, 1],
    ['*/30 * * * *', 'UTC', 10, 2],
    ['*/20 * * * *', 'UTC', 2, 3],
    ['* * * * *', 'UTC', 2, 3],
    ['*/5 3 * * 1', 'Europe/Berlin', 60, 12],
    // The spring-forward night in Berlin (2026-03-29) neither doubles nor skips an hourly run.
    ['0 * * * *', 'Europe/Berlin', 10, 1],
  ])('%s in %s (limit %d): %d', (schedule, timeZone, limit, expected) => {
    expect(mostRunsInAnyHour(schedule, timeZone, from, limit)).toBe(expected);
  });
});
