import { describe, expect, it } from 'vitest';
import { dueRun, nextRun, runRequested, validateSchedule } from './schedule.ts';

const t = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Every slot in [from, to), by repeated nextRun: what a controller calling it in a loop would run. */
function slotsBetween(schedule: string, timeZone: string, from: string, to: string): string[] {
  const out: string[] = [];
  for (let at = nextRun(schedule, timeZone, t(from) - 1); at < t(to); at = nextRun(schedule, timeZone, at)) {
    out.push(iso(at));
  }
  return out;
}

describe('nextRun', () => {
  it.each([
    // Europe/Berlin is UTC+2 in summer (CEST) and UTC+1 in winter (CET).
    ['0 3 * * *', 'Europe/Berlin', '2026-07-01T00:00:00Z', '2026-07-01T01:00:00.000Z'],
    ['0 3 * * *', 'Europe/Berlin', '2026-01-15T00:00:00Z', '2026-01-15T02:00:00.000Z'],
    ['0 3 * * *', 'UTC', '2026-01-15T00:00:00Z', '2026-01-15T03:00:00.000Z'],
    ['0 3 * * *', 'America/New_York', '2026-07-01T00:00:00Z', '2026-07-01T07:00:00.000Z'],
    ['0 3 * * *', 'Asia/Kolkata', '2026-07-01T00:00:00Z', '2026-07-01T21:30:00.000Z'],
    // Day of week 7 is Sunday, like 0; 2026-07-05 is a Sunday.
    ['0 3 * * 7', 'UTC', '2026-07-01T00:00:00Z', '2026-07-05T03:00:00.000Z'],
    ['0 3 * * SUN', 'UTC', '2026-07-01T00:00:00Z', '2026-07-05T03:00:00.000Z'],
    ['15 4 1 JAN *', 'UTC', '2026-07-01T00:00:00Z', '2027-01-01T04:15:00.000Z'],
  ])('%s in %s after %s → %s', (schedule, timeZone, after, expected) => {
    expect(iso(nextRun(schedule, timeZone, t(after)))).toBe(expected);
  });

  it('is strictly after `after`, also within the slot’s second', () => {
    const slot = t('2026-07-01T01:00:00Z');
    expect(nextRun('0 3 * * *', 'Europe/Berlin', slot - 1)).toBe(slot);
    expect(nextRun('0 3 * * *', 'Europe/Berlin', slot)).toBe(slot + 24 * HOUR);
    expect(nextRun('0 3 * * *', 'Europe/Berlin', slot + 500)).toBe(slot + 24 * HOUR);
  });

  it('reads restricted day-of-month and day-of-week as either (Vixie cron)', () => {
    // 2026-07-01 is a Wednesday: the 1st, then the following Mondays.
    expect(slotsBetween('0 3 1 * MON', 'UTC', '2026-07-01T00:00:00Z', '2026-07-14T00:00:00Z')).toEqual([
      '2026-07-01T03:00:00.000Z',
      '2026-07-06T03:00:00.000Z',
      '2026-07-13T03:00:00.000Z',
    ]);
  });

  it('throws on an invalid schedule rather than guessing', () => {
    expect(() => nextRun('0 3 * * *', 'Mars/Olympus', 0)).toThrow();
    expect(() => nextRun('0 3 30 2 *', 'UTC', 0)).toThrow(/spec\.schedule/);
  });
});

describe('daylight saving time in Europe/Berlin', () => {
  it('runs a schedule inside the spring-forward gap exactly once that day, at 03:00 CEST', () => {
    // 2026-03-29: clocks go from 02:00 CET to 03:00 CEST, so 02:30 does not exist.
    expect(
      slotsBetween('30 2 * * *', 'Europe/Berlin', '2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z'),
    ).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST, the first valid time after the gap
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('runs a schedule in the repeated hour of fall-back once, at its first occurrence', () => {
    // 2026-10-25: clocks go from 03:00 CEST back to 02:00 CET, so 02:00-03:00 happens twice.
    expect(
      slotsBetween('30 2 * * *', 'Europe/Berlin', '2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z'),
    ).toEqual([
      '2026-10-24T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T00:30:00.000Z', // 02:30 CEST; 02:30 CET (01:30Z) is not run again
      '2026-10-26T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('does not run the fall-back day’s repeated slot again once it ran', () => {
    const firstOccurrence = t('2026-10-25T00:30:00Z');
    const secondOccurrence = t('2026-10-25T01:30:00Z');
    const run = dueRun({
      schedule: '30 2 * * *',
      timeZone: 'Europe/Berlin',
      now: secondOccurrence + MINUTE,
      lastRunAt: firstOccurrence + 5_000,
      createdAt: t('2026-01-01T00:00:00Z'),
    });
    expect(run).toEqual({ due: false, next: t('2026-10-26T01:30:00Z') });
  });

  it('keeps an every-30-minutes schedule 30 minutes apart through both changes', () => {
    for (const [from, to] of [
      ['2026-03-28T23:00:00Z', '2026-03-29T03:00:00Z'],
      ['2026-10-24T23:00:00Z', '2026-10-25T03:00:00Z'],
    ] as const) {
      const slots = slotsBetween('*/30 * * * *', 'Europe/Berlin', from, to).map(t);
      expect(slots).toHaveLength(8);
      for (let i = 1; i < slots.length; i += 1)
        expect((slots[i] ?? 0) - (slots[i - 1] ?? 0)).toBe(30 * MINUTE);
    }
  });
});

describe('dueRun', () => {
  const daily = { schedule: '0 3 * * *', timeZone: 'Europe/Berlin' } as const;
  const createdAt = t('2026-06-01T12:00:00Z');

  it('is not due before the first slot after creation', () => {
    expect(dueRun({ ...daily, createdAt, now: t('2026-06-01T18:00:00Z') })).toEqual({
      due: false,
      next: t('2026-06-02T01:00:00Z'),
    });
  });

  it('is due at a slot exactly, and after it, when never run since creation', () => {
    const slot = t('2026-06-02T01:00:00Z');
    const next = t('2026-06-03T01:00:00Z');
    expect(dueRun({ ...daily, createdAt, now: slot })).toEqual({ due: true, slot, next });
    expect(dueRun({ ...daily, createdAt, now: slot + 10 * MINUTE })).toEqual({ due: true, slot, next });
    expect(dueRun({ ...daily, createdAt, now: slot - 1 }).due).toBe(false);
  });

  it('is not due again for the slot it ran for, whether lastRunAt is the slot or the start time', () => {
    const slot = t('2026-06-02T01:00:00Z');
    for (const lastRunAt of [slot, slot + 3_000]) {
      expect(dueRun({ ...daily, createdAt, lastRunAt, now: slot + HOUR })).toEqual({
        due: false,
        next: t('2026-06-03T01:00:00Z'),
      });
    }
  });

  it('collapses the slots missed while the operator was down for 3 days into one run', () => {
    const lastRunAt = t('2026-06-02T01:00:05Z');
    const now = t('2026-06-05T09:00:00Z'); // slots on the 3rd, 4th and 5th were missed
    const first = dueRun({ ...daily, createdAt, lastRunAt, now });
    expect(first).toEqual({ due: true, slot: t('2026-06-05T01:00:00Z'), next: t('2026-06-06T01:00:00Z') });
    // The controller runs once and records it; nothing is due until the next future slot.
    const after = dueRun({ ...daily, createdAt, lastRunAt: now, now: now + MINUTE });
    expect(after).toEqual({ due: false, next: t('2026-06-06T01:00:00Z') });
    expect(dueRun({ ...daily, createdAt, lastRunAt: now, now: t('2026-06-06T01:00:00Z') }).due).toBe(true);
  });

  it('counts a slot missed before the first run, once', () => {
    const now = t('2026-06-10T00:00:00Z');
    expect(dueRun({ ...daily, createdAt, now })).toEqual({
      due: true,
      slot: t('2026-06-09T01:00:00Z'),
      next: t('2026-06-10T01:00:00Z'),
    });
  });

  it('runs a spring-forward day once with the injected clock', () => {
    const spring = { schedule: '30 2 * * *', timeZone: 'Europe/Berlin' } as const;
    const slot = t('2026-03-29T01:00:00Z');
    const lastRunAt = t('2026-03-28T01:30:02Z');
    expect(dueRun({ ...spring, createdAt, lastRunAt, now: slot - 1 }).due).toBe(false);
    expect(dueRun({ ...spring, createdAt, lastRunAt, now: slot })).toEqual({
      due: true,
      slot,
      next: t('2026-03-30T00:30:00Z'),
    });
    expect(dueRun({ ...spring, createdAt, lastRunAt: slot + 1_000, now: slot + 2 * HOUR }).due).toBe(false);
  });
});

describe('validateSchedule', () => {
  const NOW = t('2026-06-01T12:00:00Z');

  it.each([
    ['0 3 * * *', 'UTC'],
    ['0 3 * * *', 'Europe/Berlin'],
    ['*/15 0-6 * * MON-FRI', 'America/Argentina/Buenos_Aires'],
    ['0 0 29 2 *', 'Etc/GMT+5'],
  ])('accepts %s in %s', (schedule, timeZone) => {
    expect(validateSchedule(schedule, timeZone, NOW)).toBeUndefined();
  });

  it.each([
    ['0 3 * *', 'UTC', /^spec\.schedule "0 3 \* \*" is not a 5-field cron expression/],
    ['0 0 3 * * *', 'UTC', /^spec\.schedule .*5-field/],
    ['@daily', 'UTC', /^spec\.schedule .*5-field/],
    ['61 * * * *', 'UTC', /^spec\.schedule .*5-field/],
    ['', 'UTC', /^spec\.schedule/],
    ['0 3 30 2 *', 'UTC', /^spec\.schedule "0 3 30 2 \*" never runs$/],
    ['0 3 * * *', 'Mars/Olympus', /^spec\.timeZone "Mars\/Olympus" is not a known IANA time zone/],
    ['0 3 * * *', 'Europe/Atlantis', /^spec\.timeZone/],
    ['0 3 * * *', '', /^spec\.timeZone/],
  ])('rejects %j in %j', (schedule, timeZone, message) => {
    expect(validateSchedule(schedule, timeZone, NOW)).toMatch(message);
  });

  // The verdict is the schedule's, not the moment's: a leap-day schedule is valid just after its
  // slot, in a year before a skipped leap year (2100), across midnight and at the slot itself.
  it.each([
    '2028-02-29T04:59:59Z',
    '2028-02-29T05:00:00Z',
    '2028-02-29T23:59:59Z',
    '2028-03-01T00:00:00Z',
    '2099-03-01T12:00:00Z',
    '2026-12-31T23:59:59Z',
  ])('decides the same at %s', (at) => {
    expect(validateSchedule('0 0 29 2 *', 'Etc/GMT+5', t(at))).toBeUndefined();
    expect(validateSchedule('0 3 30 2 *', 'UTC', t(at))).toMatch(/never runs$/);
    expect(validateSchedule('0 3 * * *', 'Europe/Berlin', t(at))).toBeUndefined();
  });
});

describe('runRequested', () => {
  const ran = t('2026-06-02T01:00:00Z'); // lastRunAt, whole seconds as status keeps it
  it.each([
    ['no annotation', undefined, undefined, ran, false],
    ['a first request on a policy that never ran', 'now', undefined, undefined, true],
    ['a new value', '2026-06-02T01:00:00.900Z', '2026-06-01T08:00:00Z', ran, true],
    ['the value the last run answered', '2026-06-02T01:00:00.900Z', '2026-06-02T01:00:00.900Z', ran, false],
    // The bug: a request in the same second as the run that answered it looked later than the run.
    [
      'old status: a request answered within the same second',
      '2026-06-02T01:00:00.900Z',
      undefined,
      ran,
      false,
    ],
    ['old status: a request after the last run', '2026-06-02T01:00:01Z', undefined, ran, true],
  ])('%s', (_what, requested, lastHandled, lastRunAt, expected) => {
    expect(runRequested({ requested, lastHandled, lastRunAt })).toBe(expected);
  });
});
