/**
 * IONOS refuses a token expiry less than an hour ahead ("The DCD docs say expiry must be ≥1 h in
 * the future", shared/providers/ionos.md). The hour is measured by IONOS's clock when the request
 * arrives, so an expiry computed earlier (before a listing, a rate-limit wait or a retry) or from a
 * clock that runs late is refused with a 400 that would stall the caller. Requests therefore ask
 * for at least the minimum plus a margin, fixed only when the body is serialized for each attempt.
 */

/** IONOS's shortest token lifetime: one hour. */
export const IONOS_MIN_TOKEN_LIFETIME_MS = 3_600_000;

/**
 * Added to the minimum: the request's transit (bounded by the 30 s request timeout) and clock skew
 * between this node and IONOS. Rate-limit waits and retries need none, as the date is fixed per send.
 */
export const IONOS_EXPIRY_MARGIN_MS = 60_000;

/** How requested expiries are raised to what IONOS accepts. */
export interface ExpiryFloor {
  /** Shortest lifetime the API accepts (IONOS: an hour; a simulator started with less in tests). */
  minLifetimeMs: number;
  /** Clock the floor is measured on (the wall clock; tests inject one). */
  now: () => number;
}

/**
 * An expiry date that serializes, in `JSON.stringify`, to the requested instant or, if that is
 * sooner, to the floor (now + minimum + margin) at the moment of serialization: the HTTP client
 * serializes the body right before each attempt, after any rate-limit wait or retry delay.
 */
export class ExpiryAtSend {
  private readonly requestedMs: number;
  private readonly floor: ExpiryFloor;

  constructor(requested: Date, floor: ExpiryFloor) {
    this.requestedMs = requested.getTime();
    this.floor = floor;
  }

  /** The instant to send now: never sooner than the floor. */
  at(): Date {
    const earliest = this.floor.now() + this.floor.minLifetimeMs + IONOS_EXPIRY_MARGIN_MS;
    return new Date(Math.max(this.requestedMs, earliest));
  }

  /** Called by `JSON.stringify` when the body is sent. */
  toJSON(): string {
    return this.at().toISOString();
  }
}
