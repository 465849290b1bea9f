/** A fault to inject into matching requests. */
export type FaultKind =
  /** Answer 429, with `retryAfter` as the Retry-After header when given. */
  | { kind: 'rateLimit'; retryAfter?: string | undefined }
  /** Answer this 5xx status with the provider's error body. */
  | { kind: 'serverError'; status?: number }
  /** Destroy the connection without an answer. */
  | { kind: 'reset' }
  /** Answer 200 with a body that is not the documented shape. */
  | { kind: 'malformed' }
  /** Run the handler (the change commits) and then drop the connection: a lost response. */
  | { kind: 'loseResponse' };

/** Which requests a fault applies to. */
export interface FaultMatch {
  method?: string;
  /** Tested against the path without query string. */
  path?: RegExp;
}

/** A one-shot fault for the next `times` matching requests. */
export interface ScheduledFault {
  fault: FaultKind;
  match?: FaultMatch | undefined;
  times: number;
}

/** Background fault rates, each a probability from 0 to 1 per request. */
export interface FaultRates {
  latencyMs: number;
  rateLimit: number;
  /** Retry-After sent with random 429s (undefined: none). */
  retryAfter?: string | undefined;
  serverError: number;
  reset: number;
  malformed: number;
  /** Applies only to requests whose route is marked as creating something. */
  loseCreateResponse: number;
}

/** No faults. */
export const NO_FAULTS: FaultRates = {
  latencyMs: 0,
  rateLimit: 0,
  serverError: 0,
  reset: 0,
  malformed: 0,
  loseCreateResponse: 0,
};

/** A small seeded PRNG (mulberry32), so a fault run can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decides, per request, which fault (if any) applies: scheduled ones first, then the background rates. */
export class FaultInjector {
  private rates: FaultRates = { ...NO_FAULTS };
  private scheduled: ScheduledFault[] = [];
  private random: () => number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  /** Replaces the background rates (partial: unspecified rates become 0). */
  setRates(rates: Partial<FaultRates>): void {
    this.rates = { ...NO_FAULTS, ...rates };
  }

  /** The current background rates. */
  get currentRates(): FaultRates {
    return { ...this.rates };
  }

  /** Queues a fault for the next `times` matching requests. */
  schedule(fault: FaultKind, options: { times?: number; match?: FaultMatch } = {}): void {
    this.scheduled.push({ fault, match: options.match, times: options.times ?? 1 });
  }

  /** Removes every scheduled fault and rate. */
  clear(): void {
    this.rates = { ...NO_FAULTS };
    this.scheduled = [];
  }

  /** Reseeds the background randomness. */
  reseed(seed: number): void {
    this.random = seededRandom(seed);
  }

  /** The fault for this request, if any. */
  pick(method: string, path: string, creates: boolean): FaultKind | undefined {
    const entry = this.scheduled.find(
      (s) => (!s.match?.method || s.match.method === method) && (!s.match?.path || s.match.path.test(path)),
    );
    if (entry) {
      entry.times--;
      if (entry.times <= 0) this.scheduled = this.scheduled.filter((s) => s !== entry);
      return entry.fault;
    }
    const r = this.rates;
    if (r.reset > 0 && this.random() < r.reset) return { kind: 'reset' };
    if (r.rateLimit > 0 && this.random() < r.rateLimit)
      return { kind: 'rateLimit', retryAfter: r.retryAfter };
    if (r.serverError > 0 && this.random() < r.serverError) return { kind: 'serverError' };
    if (r.malformed > 0 && this.random() < r.malformed) return { kind: 'malformed' };
    if (creates && r.loseCreateResponse > 0 && this.random() < r.loseCreateResponse)
      return { kind: 'loseResponse' };
    return undefined;
  }

  /** Latency to add to every request. */
  get latencyMs(): number {
    return this.rates.latencyMs;
  }
}
