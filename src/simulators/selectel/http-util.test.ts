import { describe, expect, it } from 'vitest';
import { iso } from './http-util.ts';

// Times as the service writes them: craas-go's fixtures (github.com/selectel/craas-go at
// 400694647f7c4626098466da53f3de5db6fd2b6d) carry "2022-10-25T10:25:22.556Z" (pkg/v1/registry),
// "2022-09-22T10:15:40.362702Z" (pkg/v1/repository) and "2022-05-17T22:37:17.011072851Z" (images).

describe('Selectel simulator: time rendering', () => {
  const at = Date.parse('2022-10-25T10:25:22.556Z');

  it('writes 3, 6 or 9 fraction digits that read back as the stored millisecond', () => {
    expect(iso(at, 3)).toBe('2022-10-25T10:25:22.556Z');
    expect(iso(at, 6)).toMatch(/^2022-10-25T10:25:22\.556\d{3}Z$/);
    expect(iso(at, 9)).toMatch(/^2022-10-25T10:25:22\.556\d{6}Z$/);
    expect(iso(at)).toBe(iso(at, 6));
    for (const digits of [3, 6, 9] as const) expect(Date.parse(iso(at, digits))).toBe(at);
  });

  it('drops trailing zeros and a zero fraction, as Go does', () => {
    expect(iso(Date.parse('2022-10-25T10:25:22.500Z'), 3)).toBe('2022-10-25T10:25:22.5Z');
    expect(iso(Date.parse('2022-10-25T10:25:22.500Z'), 9)).toMatch(/^2022-10-25T10:25:22\.500\d{5}[1-9]Z$/);
    for (const digits of [3, 6, 9] as const) {
      expect(iso(Date.parse('2023-02-13T15:00:00Z'), digits)).toBe('2023-02-13T15:00:00Z');
      expect(iso(Date.parse('0001-01-01T00:00:00Z'), digits)).toBe('0001-01-01T00:00:00Z');
    }
  });

  it('writes the same text for the same time', () => {
    expect(iso(at + 1, 9)).toBe(iso(at + 1, 9));
    expect(iso(at + 1, 9)).not.toBe(iso(at, 9));
  });
});
