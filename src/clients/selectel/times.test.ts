import { describe, expect, it } from 'vitest';
import { iso } from '../../simulators/selectel/http-util.ts';
import { parseTime } from './context.ts';

// Every time form Selectel's sources show: the reference's whole seconds (seed 003), and the
// fractions of craas-go's fixtures (github.com/selectel/craas-go at
// 400694647f7c4626098466da53f3de5db6fd2b6d: pkg/v1/registry/testing/fixtures.go,
// pkg/v1/repository/testing/fixtures.go), which the simulator writes too.

describe('Selectel API times', () => {
  it.each([
    ['2023-02-13T15:00:00Z', '2023-02-13T15:00:00.000Z'],
    ['2022-10-25T10:25:22.556Z', '2022-10-25T10:25:22.556Z'],
    ['2022-06-22T10:13:45.895721Z', '2022-06-22T10:13:45.895Z'],
    ['2022-05-17T22:37:17.011072851Z', '2022-05-17T22:37:17.011Z'],
    ['2022-10-25T10:25:22.5Z', '2022-10-25T10:25:22.500Z'],
    // Go writes a time in its own location: a server on Moscow time would send the offset.
    ['2022-10-25T13:25:22.556999+03:00', '2022-10-25T10:25:22.556Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
  ])('reads %s to the millisecond, truncating finer digits', (text, expected) => {
    expect(parseTime(text)?.toISOString()).toBe(expected);
  });

  it('reads what the simulator writes, in each precision, as the time it stored', () => {
    const at = Date.parse('2026-11-30T12:34:56.789Z');
    for (const digits of [3, 6, 9] as const) expect(parseTime(iso(at, digits))?.getTime()).toBe(at);
  });

  it('has no time for an absent or unreadable value', () => {
    expect(parseTime(undefined)).toBeUndefined();
    expect(parseTime(null)).toBeUndefined();
    expect(parseTime('yesterday')).toBeUndefined();
  });
});
