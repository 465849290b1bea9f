import { describe, expect, it } from 'vitest';
import { elapsed, humanDuration, parseDuration, relativeTime } from './time.ts';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration', () => {
  // The same cases as apimachinery's HumanDuration, so berth's ages read like kubectl's.
  it.each([
    [0, '0s'],
    [-5 * S, '0s'],
    [45 * S, '45s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [3 * M + 12 * S, '3m12s'],
    [10 * M, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [2 * H + 5 * M + 3 * H, '5h5m'],
    [8 * H, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [6 * D + 23 * H, '6d23h'],
    [29 * D + 23 * H, '29d'],
    [365 * D, '365d'],
    [2 * 365 * D, '2y'],
    [3 * 365 * D + 10 * D, '3y10d'],
    [9 * 365 * D, '9y'],
  ])('%i ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('relativeTime', () => {
  const now = Date.parse('2026-06-01T12:00:00Z');
  it.each([
    ['2026-06-08T11:00:00Z', 'in 6d23h'],
    ['2026-06-01T11:57:00Z', '3m ago'],
    ['2026-06-01T12:00:00.400Z', 'now'],
    ['2026-05-01T12:00:00Z', '31d ago'],
  ])('%s is "%s"', (at, text) => {
    expect(relativeTime(at, now)).toBe(text);
  });

  it('takes Dates as client-node deserializes them, and is undefined for nothing or garbage', () => {
    expect(relativeTime(new Date(now + 90 * S), now)).toBe('in 90s');
    expect(relativeTime(undefined, now)).toBeUndefined();
    expect(relativeTime('soon', now)).toBeUndefined();
  });
});

describe('parseDuration and elapsed', () => {
  it.each([
    ['30s', 30 * S],
    ['5m', 5 * M],
    ['1h30m', 90 * M],
    ['720h0m0s', 720 * H],
    ['250ms', 250],
    ['90', 90 * S],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5x', 'm5', '1h 30m', '-5s'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('shows short waits to a tenth of a second', () => {
    expect(elapsed(400)).toBe('0.4s');
    expect(elapsed(9_950)).toBe('9.9s');
    expect(elapsed(75 * S)).toBe('75s');
  });
});
