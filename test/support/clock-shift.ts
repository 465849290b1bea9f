/**
 * Shifted clocks for the unit and integration tests (docs/adr/019-shifted-clock-tests.md): with
 * `BERTH_TEST_CLOCK` set, vitest.config.ts computes one offset for the whole run and hands it, with
 * a `--import` of shifted-clock-install.ts in NODE_OPTIONS, to every test worker and every Node
 * process the tests start (the CLI, operator processes). Go processes (kube-apiserver, etcd, the
 * registry) and OpenSSL keep the host's clock. Nothing under src/ reads these variables.
 */
/** What a run asks for: a UTC time of day, or a moment. */
export const CLOCK_VARIABLE = 'BERTH_TEST_CLOCK';
/** The offset the run settled on, in milliseconds (set by the config, read by the installer). */
export const OFFSET_VARIABLE = 'BERTH_TEST_CLOCK_OFFSET_MS';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * The offset (ms) that makes the clock read `spec` at `nowMs`:
 * - `HH:MMZ` — that UTC time of day, at the nearest such moment (the offset is within ±12 hours,
 *   so the date moves as little as possible);
 * - `month-end HH:MMZ` — that time on the last day of a month, the nearer of the previous month's
 *   and this month's (within about ±16 days);
 * - an RFC 3339 moment with an offset (`2027-02-28T23:50:00Z`) — that moment.
 * Throws on anything else, so a typo does not quietly run the tests on the real clock.
 */
export function clockOffset(spec: string, nowMs: number): number {
  const text = spec.trim();
  const timeOfDay = /^(?:(month-end)\s+)?([01]\d|2[0-3]):([0-5]\d)Z$/.exec(text);
  if (timeOfDay) {
    const [, monthEnd, hh, mm] = timeOfDay;
    const minutes = Number(hh) * 60 + Number(mm);
    if (monthEnd) {
      const now = new Date(nowMs);
      const [y, m] = [now.getUTCFullYear(), now.getUTCMonth()];
      // Day 0 of a month is the last day of the month before.
      const candidates = [Date.UTC(y, m, 0), Date.UTC(y, m + 1, 0)].map((day) => day + minutes * MINUTE);
      const nearest = candidates.reduce((a, b) => (Math.abs(b - nowMs) < Math.abs(a - nowMs) ? b : a));
      return nearest - nowMs;
    }
    const midnight = Math.floor(nowMs / DAY) * DAY;
    const candidates = [-DAY, 0, DAY].map((d) => midnight + d + minutes * MINUTE);
    const nearest = candidates.reduce((a, b) => (Math.abs(b - nowMs) < Math.abs(a - nowMs) ? b : a));
    return nearest - nowMs;
  }
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(text)) {
    const at = Date.parse(text);
    if (!Number.isNaN(at)) return at - nowMs;
  }
  throw new Error(
    `${CLOCK_VARIABLE}="${spec}": expected a UTC time of day (00:30Z), "month-end 23:50Z" or an RFC 3339 moment (2027-02-28T23:50:00Z)`,
  );
}

/**
 * The variables a shifted run adds to its test workers' environment (which Node processes they
 * start inherit), or none when `env` asks for no shift. The offset is computed once, here, so all
 * processes of a run agree to the millisecond; a run started from within a shifted run keeps it.
 */
export function shiftedClockEnv(env: NodeJS.ProcessEnv, nowMs = Date.now()): Record<string, string> {
  const spec = env[CLOCK_VARIABLE];
  if (!spec) return {};
  const offset = env[OFFSET_VARIABLE] ?? String(clockOffset(spec, nowMs));
  const install = new URL('./shifted-clock-install.ts', import.meta.url).href;
  const options = env.NODE_OPTIONS ?? '';
  return {
    [OFFSET_VARIABLE]: offset,
    NODE_OPTIONS: options.includes(install) ? options : `${options} --import=${install}`.trim(),
  };
}

/**
 * `nodeOptions` for a Node process a test starts with NODE_OPTIONS of its own, plus this run's
 * clock shift, if any (the `--import` of the installer from this process's NODE_OPTIONS).
 */
export function withShiftedClock(nodeOptions: string, env: NodeJS.ProcessEnv = process.env): string {
  const install = /--import=\S*shifted-clock-install\.ts/.exec(env.NODE_OPTIONS ?? '')?.[0];
  return install ? `${nodeOptions} ${install}`.trim() : nodeOptions;
}

/** The real clock of a shifted process (Date.now where no shift is installed). */
export function hostNow(): number {
  const installed = (globalThis as Record<symbol, unknown>)[Symbol.for('berth.test.shiftedClock')] as
    | { hostNow(): number }
    | undefined;
  return installed ? installed.hostNow() : Date.now();
}
