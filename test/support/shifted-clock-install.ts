/**
 * Loaded with `node --import` (NODE_OPTIONS) in every test worker and every Node process the tests
 * start when a run shifts the clock (clock-shift.ts): replaces the global Date with one that reads
 * the host's clock plus BERTH_TEST_CLOCK_OFFSET_MS. The shifted clock advances with the real one,
 * so durations, timeouts and timers are unchanged; only the moment differs. `performance.now()`,
 * timers, OpenSSL's certificate checks and Node's own HTTP Date header keep the host's clock.
 *
 * Installed once per process: vitest evaluates modules again in its own module graph, and a second
 * install would add the offset twice.
 */
const KEY = Symbol.for('berth.test.shiftedClock');
const registry = globalThis as Record<symbol, unknown>;
const offset = Number(process.env.BERTH_TEST_CLOCK_OFFSET_MS ?? '0');

if (!registry[KEY] && Number.isFinite(offset) && offset !== 0) {
  const HostDate = globalThis.Date;
  const hostNow = HostDate.now.bind(HostDate);
  const now = () => hostNow() + offset;
  const ShiftedDate = new Proxy(HostDate, {
    // `new Date()` is now; every other form (a number, a string, fields) is unchanged.
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget);
    },
    // `Date()` called as a function returns the current time as a string.
    apply() {
      return new HostDate(now()).toString();
    },
    get(target, property) {
      return property === 'now' ? now : Reflect.get(target, property);
    },
  });
  Object.defineProperty(HostDate.prototype, 'constructor', {
    value: ShiftedDate,
    writable: true,
    configurable: true,
  });
  globalThis.Date = ShiftedDate;
  registry[KEY] = { offset, hostNow };
}
