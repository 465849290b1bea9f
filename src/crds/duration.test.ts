import { describe, expect, it } from 'vitest';
import { CRON_PATTERN, TIME_ZONE_PATTERN } from './cron.ts';
import { durationMs } from './duration.ts';

describe('durationMs', () => {
  it.each([
    ['720h', 720 * 3_600_000],
    ['90m', 5_400_000],
    ['1h30m', 5_400_000],
    ['30s', 30_000],
    ['720h0m0s', 720 * 3_600_000],
  ])('%s', (text, expected) => {
    expect(durationMs(text)).toBe(expected);
  });

  it.each(['', '1d', '30m1h', '1.5h', '-1h', '10'])('rejects %j', (text) => {
    expect(() => durationMs(text)).toThrow('invalid duration');
  });
});

describe('cron syntax', () => {
  const cron = new RegExp(CRON_PATTERN);
  it.each([
    '0 3 * * *',
    '*/15 * * * *',
    '30 1 * * MON-FRI',
    '0 0 1,15 * *',
    '5 4 * jan-jun sun',
    '0 22 * * 1-5',
  ])('accepts %j', (text) => expect(cron.test(text)).toBe(true));
  it.each([
    '@daily',
    '0 0 3 * * *',
    '60 * * * *',
    '0 24 * * *',
    '0 0 0 * *',
    '0 0 * 13 *',
    '0 0 * * 8',
    '0  3 * * *',
  ])('rejects %j', (text) => expect(cron.test(text)).toBe(false));
});

describe('time zone syntax', () => {
  const zone = new RegExp(TIME_ZONE_PATTERN);
  it.each(['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'America/Port-au-Prince'])(
    'accepts %j',
    (text) => expect(zone.test(text)).toBe(true),
  );
  it.each(['', 'utc', '+02:00', 'Europe/', 'CET ', 'Europe/Berlin/Mitte/Nord'])('rejects %j', (text) =>
    expect(zone.test(text)).toBe(false),
  );
});
