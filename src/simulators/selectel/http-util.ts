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

/** RFC 3339 without milliseconds, as the seed's samples. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A JSON object body or 400. */
export function objectBody(req: SimRequest): Record<string, unknown> {
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))
    throw craasError(400, 'Request body must be a JSON object.');
  return req.body as Record<string, unknown>;
}
