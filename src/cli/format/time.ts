/**
 * Human times for people: the approximate length of a duration as kubectl prints ages
 * (apimachinery's HumanDuration: `45s`, `3m12s`, `2h5m`, `6d23h`, `29d`), and a moment relative to
 * now (`in 6d23h`, `3m ago`). Machines get RFC 3339 instead (`-o json|yaml`).
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** A non-negative duration the way kubectl prints an age; negative input counts as zero. */
export function humanDuration(ms: number): string {
  const d = Math.max(0, ms);
  const seconds = Math.floor(d / SECOND);
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(d / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(d / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    const y = Math.floor(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** Milliseconds since the epoch of an RFC 3339 string or a Date; undefined when absent or unreadable. */
export function timeOf(at: string | Date | undefined | null): number | undefined {
  if (at === undefined || at === null) return undefined;
  const ms = at instanceof Date ? at.getTime() : Date.parse(at);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * A moment relative to `nowMs`: `in 6d23h` ahead, `3m ago` behind, `now` within a second either
 * way (clocks of client and server differ a little). `undefined` for an absent or unreadable time.
 */
export function relativeTime(at: string | Date | undefined | null, nowMs: number): string | undefined {
  const ms = timeOf(at);
  if (ms === undefined) return undefined;
  const delta = ms - nowMs;
  if (Math.abs(delta) < SECOND) return 'now';
  return delta > 0 ? `in ${humanDuration(delta)}` : `${humanDuration(-delta)} ago`;
}

/**
 * A Go-style duration (`30s`, `5m`, `1h30m`, `720h0m0s`, `250ms`) or plain seconds, in
 * milliseconds; undefined when it is not one.
 */
export function parseDuration(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * SECOND;
  const units: Record<string, number> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR };
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(m[1]) * (units[m[2] ?? 's'] ?? 0);
    consumed += m[0].length;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}

/** How long something took: tenths of a second under ten seconds (`0.4s`), else as {@link humanDuration}. */
export function elapsed(ms: number): string {
  return ms < 10 * SECOND ? `${(Math.max(0, ms) / SECOND).toFixed(1)}s` : humanDuration(ms);
}
