import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  CLOCK_VARIABLE,
  clockOffset,
  hostNow,
  OFFSET_VARIABLE,
  shiftedClockEnv,
  withShiftedClock,
} from './clock-shift.ts';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

describe('clockOffset', () => {
  it('moves to the nearest moment with the asked UTC time of day', () => {
    const now = at('2026-12-06T05:41:00Z');
    expect(new Date(now + clockOffset('00:30Z', now)).toISOString()).toBe('2026-12-06T00:30:00.000Z');
    expect(new Date(now + clockOffset('23:50Z', now)).toISOString()).toBe('2026-12-05T23:50:00.000Z');
    expect(new Date(now + clockOffset('17:00Z', now)).toISOString()).toBe('2026-12-06T17:00:00.000Z');
    const evening = at('2026-12-31T20:00:00Z');
    expect(new Date(evening + clockOffset('02:50Z', evening)).toISOString()).toBe('2027-01-01T02:50:00.000Z');
    for (const hour of [0, 5, 11, 12, 13, 23]) {
      expect(Math.abs(clockOffset(`${String(hour).padStart(2, '0')}:00Z`, now))).toBeLessThanOrEqual(
        12 * HOUR,
      );
    }
  });

  it('moves to the nearest last day of a month', () => {
    const early = at('2026-12-06T05:41:00Z');
    expect(new Date(early + clockOffset('month-end 23:50Z', early)).toISOString()).toBe(
      '2026-11-30T23:50:00.000Z',
    );
    const late = at('2026-12-20T05:41:00Z');
    expect(new Date(late + clockOffset('month-end 23:50Z', late)).toISOString()).toBe(
      '2026-12-31T23:50:00.000Z',
    );
    const february = at('2028-02-25T00:00:00Z');
    expect(new Date(february + clockOffset('month-end 23:50Z', february)).toISOString()).toBe(
      '2028-02-29T23:50:00.000Z',
    );
  });

  it('takes an RFC 3339 moment, and refuses anything else', () => {
    const now = at('2026-12-06T05:41:00Z');
    expect(clockOffset('2027-02-28T23:50:00Z', now)).toBe(at('2027-02-28T23:50:00Z') - now);
    expect(clockOffset('2027-03-01T01:50:00+02:00', now)).toBe(at('2027-02-28T23:50:00Z') - now);
    for (const bad of ['0:30', '24:00Z', '00:30', 'tomorrow', '2027-02-30', '-5h']) {
      expect(() => clockOffset(bad, now), bad).toThrow(CLOCK_VARIABLE);
    }
  });
});

describe('shiftedClockEnv', () => {
  it('adds nothing without a shift, and one offset and the installer with one', () => {
    expect(shiftedClockEnv({})).toEqual({});
    const env = shiftedClockEnv({ [CLOCK_VARIABLE]: '00:30Z', NODE_OPTIONS: '--max-old-space-size=200' }, 0);
    expect(env[OFFSET_VARIABLE]).toBe(String(30 * 60_000));
    expect(env.NODE_OPTIONS).toMatch(
      /^--max-old-space-size=200 --import=file:\/\/.*shifted-clock-install\.ts$/,
    );
    // A run inside a shifted run keeps its offset and does not import the installer twice.
    expect(shiftedClockEnv({ [CLOCK_VARIABLE]: '00:30Z', ...env }, 12345)).toEqual(env);
    // A process started with NODE_OPTIONS of its own keeps the shift.
    expect(withShiftedClock('--max-semi-space-size=1', env)).toMatch(
      /^--max-semi-space-size=1 --import=file:\/\/.*shifted-clock-install\.ts$/,
    );
    expect(withShiftedClock('--max-semi-space-size=1', {})).toBe('--max-semi-space-size=1');
  });

  it('shifts Date in a Node process started with it, which keeps advancing and keeps the host clock apart', () => {
    const offset = -5 * 3_600_000;
    const env = shiftedClockEnv({ [CLOCK_VARIABLE]: '00:30Z', [OFFSET_VARIABLE]: String(offset) });
    const script = `
      const key = Symbol.for('berth.test.shiftedClock');
      const a = Date.now(); const d = new Date(); const s = Date();
      const host = globalThis[key].hostNow();
      const b = Date.now();
      class Later extends Date {}
      console.log(JSON.stringify({
        drift: a - host, advancing: b >= a, fromNew: d.getTime() - a, fromString: Date.parse(s) - a,
        epoch: new Date(0).getTime(), utc: Date.UTC(2026, 0, 1), isDate: d instanceof Date,
        sameConstructor: d.constructor === Date, subclass: new Later().getTime() - host,
      }));`;
    const ran = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(ran.stderr).toBe('');
    const seen = JSON.parse(ran.stdout);
    expect(Math.abs(seen.drift - offset)).toBeLessThan(1_000);
    expect(Math.abs(seen.subclass - offset)).toBeLessThan(1_000);
    expect(seen).toMatchObject({ advancing: true, epoch: 0, utc: Date.UTC(2026, 0, 1), isDate: true });
    expect(seen.sameConstructor).toBe(true);
    expect(Math.abs(seen.fromNew)).toBeLessThan(1_000);
    expect(Math.abs(seen.fromString)).toBeLessThan(2_000);
  });

  it('hostNow is the real clock whether or not this process is shifted', () => {
    const offset = Number(process.env[OFFSET_VARIABLE] ?? '0');
    // In a shifted run this worker is shifted too (BERTH_TEST_CLOCK=00:00Z at 00:00 would be 0).
    if (process.env[CLOCK_VARIABLE]) expect(process.env[OFFSET_VARIABLE]).toMatch(/^-?\d+$/);
    expect(Math.abs(Date.now() - hostNow() - offset)).toBeLessThan(1_000);
  });
});
