import { SimError, type SimRequest } from '../core/server.ts';

/** The seed's error body: `{"error": "Registry not found."}`. */
export function craasError(status: number, message: string): SimError {
  return new SimError(status, { error: message });
}

/** The 500 body the docs show (`{"message": ...}`), used for every 5xx. */
export const SERVER_ERROR_BODY = { message: 'Server is not responding. Please try again later.' };

/** The provider's error body for a status (faults, unknown routes). */
export function errorBodyFor(status: number, message: string): unknown {
  return status >= 500 ? SERVER_ERROR_BODY : { error: message };
}

/** `limit` (default 10) and `offset` (default 0); 400 when not non-negative integers. */
export function pageOf(req: SimRequest): { limit: number; offset: number } {
  const read = (key: string, fallback: number, min: number) => {
    const raw = req.query.get(key);
    if (raw === null || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw craasError(400, `Invalid query parameter: ${key}.`);
    return value;
  };
  return { limit: read('limit', 10, 1), offset: read('offset', 0, 0) };
}

/** A page of items. */
export function slice<T>(items: T[], page: { limit: number; offset: number }): T[] {
  return items.slice(page.offset, page.offset + page.limit);
}

/** Case-insensitive substring filter on name by `search`. */
export function searched<T extends { name: string }>(req: SimRequest, items: T[]): T[] {
  const search = req.query.get('search')?.toLowerCase();
  return search ? items.filter((item) => item.name.toLowerCase().includes(search)) : items;
}

/**
 * Sorts by `sort_field` (one of `fields`, default the first) and `sort_type` (asc|desc); 400 on
 * values outside the enums, as the seed declares them.
 */
export function sorted<T>(
  req: SimRequest,
  items: T[],
  fields: Record<string, (item: T) => string | number>,
  fallback: string,
): T[] {
  const field = req.query.get('sort_field') ?? fallback;
  const type = req.query.get('sort_type') ?? 'asc';
  const key = fields[field];
  if (!key) throw craasError(400, `Invalid sort field: ${field}.`);
  if (type !== 'asc' && type !== 'desc') throw craasError(400, `Invalid sort type: ${type}.`);
  const sign = type === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return (x < y ? -1 : x > y ? 1 : 0) * sign;
  });
}

/** Digits of the fraction of a second: milliseconds, micro- (a database's) or nanoseconds (Go's clock). */
export type FractionDigits = 3 | 6 | 9;

/**
 * A time as the service writes it: RFC 3339 with Go's RFC3339Nano fraction (trailing zeros dropped,
 * none for a whole second). The reference's samples show whole seconds, but craas-go's fixtures,
 * taken from the service, carry 3, 6 and 9 digits (pkg/v1/registry and pkg/v1/repository
 * testing/fixtures.go at 4006946). The simulator keeps milliseconds, so the digits past them are a
 * filler drawn from the value, ending in a non-zero digit so that all of them are written; a
 * client that truncates reads the very millisecond stored. 3 digits: the exact millisecond.
 */
export function iso(ms: number, digits: FractionDigits = 6): string {
  const whole = new Date(ms).toISOString();
  const millis = whole.slice(20, 23);
  if (millis === '000') return whole.replace(/\.\d{3}Z$/, 'Z');
  const extra = digits - 3;
  const filler =
    extra === 0 ? '' : String(((Math.abs(ms) % 999_983) * 7_919) % 10 ** extra).padStart(extra, '0');
  const fraction = `${millis}${filler.replace(/0$/, '7')}`.replace(/0+$/, '');
  return whole.replace(/\.\d{3}Z$/, `.${fraction}Z`);
}

/** A JSON object body or 400. */
export function objectBody(req: SimRequest): Record<string, unknown> {
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))
    throw craasError(400, 'Request body must be a JSON object.');
  return req.body as Record<string, unknown>;
}
