// The provider faults of the chaos bench: the rates of the earlier measurement as defaults, applied
// to the simulator's seeded injector so that a run's faults can be repeated with its seed.
import type { FaultRates } from '../../src/simulators/core/faults.ts';
import type { SimServer } from '../../src/simulators/core/server.ts';

/** Rates of the earlier crash and fault measurement (issue 19), per provider request. */
export const DEFAULT_FAULTS: FaultRates = {
  serverError: 0.15,
  reset: 0.05,
  rateLimit: 0.1,
  // Short: a 429's hint should slow berth down, not make the bench wait for minutes.
  retryAfter: '1',
  malformed: 0,
  // Of the requests that create a credential (and registries, organizations, repositories).
  loseCreateResponse: 0.25,
  latencyMs: 20,
};

/**
 * Turns the faults on with this seed. The injector draws a number per request and fault kind in
 * the order requests arrive, so the same seed gives the same faults only for the same sequence of
 * requests: with an operator killed on a timer the run is comparable, not identical.
 */
export function faultsOn(server: SimServer, rates: FaultRates, seed: number): void {
  server.faults.reseed(seed);
  server.faults.setRates(rates);
}

/** Turns every fault off (the settle period). */
export function faultsOff(server: SimServer): void {
  server.faults.clear();
}

/** The rates in words, for the report. */
export function describeFaults(r: FaultRates): string {
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  return [
    `${pct(r.serverError)} 5xx`,
    `${pct(r.reset)} connection resets`,
    `${pct(r.rateLimit)} 429${r.retryAfter ? ` (Retry-After ${r.retryAfter} s)` : ''}`,
    `${pct(r.loseCreateResponse)} of creates committed with the answer lost`,
    ...(r.malformed > 0 ? [`${pct(r.malformed)} malformed answers`] : []),
    `${r.latencyMs} ms latency`,
  ].join(', ');
}
