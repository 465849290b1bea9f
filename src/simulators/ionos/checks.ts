/**
 * Input validation of the simulated IONOS API, with the rules of the spec and the notes. Every
 * failure is a 400 with the IONOS error body, as the real API answers invalid requests.
 */
import { isIP } from 'node:net';
import { fail } from './render.ts';

/** `^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$`: every registry and token ID. */
export const UUID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
/** Registry names: global DNS labels. */
export const REGISTRY_NAME = /^[a-z][-a-z0-9]{1,61}[a-z0-9]$/;
/** Token names (the spec's rule; the DCD is stricter). */
export const TOKEN_NAME = /^[A-Za-z][-A-Za-z0-9]{0,61}[A-Za-z0-9]$/;
const DAYS = new Set(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']);
const TIME = /^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\+00:00|Z)$/;
const SCOPE_TYPES = new Set(['repository', 'registry']);
const ACTIONS = new Set(['pull', 'push', 'delete']);

/** A UUID path parameter, else 400 (as the spec's pattern demands). */
export function checkUuid(value: string | undefined, what: string): string {
  if (!value || !UUID.test(value)) throw fail(400, `${what} must be a UUID`);
  return value;
}

/** An object body, else 400. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw fail(400, 'invalid request body');
  return body as Record<string, unknown>;
}

/** `WeeklySchedule`, or null/undefined. */
export function checkSchedule(value: unknown): { days: string[]; time: string } | null | undefined {
  if (value === undefined || value === null) return value;
  const schedule = objectBody(value);
  const days = schedule.days ?? [];
  if (!Array.isArray(days) || !days.every((d) => typeof d === 'string' && DAYS.has(d)))
    throw fail(400, 'garbageCollectionSchedule.days must be weekdays (Monday..Sunday)');
  if (typeof schedule.time !== 'string' || !TIME.test(schedule.time))
    throw fail(400, 'garbageCollectionSchedule.time must be a UTC partial-time such as 01:23:00+00:00');
  return { days: [...new Set(days as string[])], time: schedule.time };
}

/** `apiSubnetAllowList`: at most 25 IPs or CIDRs. */
export function checkAllowList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > 25)
    throw fail(400, 'apiSubnetAllowList takes at most 25 entries');
  for (const entry of value) {
    const [ip, bits, extra] = typeof entry === 'string' ? entry.split('/') : [];
    const family = ip ? isIP(ip) : 0;
    const max = family === 6 ? 128 : 32;
    const okBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max);
    if (!family || !okBits || extra !== undefined)
      throw fail(400, `invalid apiSubnetAllowList entry ${entry}`);
  }
  return value as string[];
}

/** `features.vulnerabilityScanning.enabled`, if given. */
export function checkScanning(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  const enabled = (objectBody(value).vulnerabilityScanning as { enabled?: unknown } | undefined)?.enabled;
  if (enabled === undefined) return undefined;
  if (typeof enabled !== 'boolean')
    throw fail(400, 'features.vulnerabilityScanning.enabled must be a boolean');
  return enabled;
}

/** Token `scopes`. */
export function checkScopes(value: unknown): { name: string; type: string; actions: string[] }[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw fail(400, 'scopes must be a list');
  return value.map((raw) => {
    const scope = objectBody(raw);
    const actions = scope.actions ?? [];
    if (typeof scope.name !== 'string' || scope.name === '') throw fail(400, 'scope name is required');
    if (typeof scope.type !== 'string' || !SCOPE_TYPES.has(scope.type))
      throw fail(400, 'scope type must be repository or registry');
    if (!Array.isArray(actions) || !actions.every((a) => typeof a === 'string' && ACTIONS.has(a)))
      throw fail(400, 'scope actions must be pull, push or delete');
    return { name: scope.name, type: scope.type, actions: actions as string[] };
  });
}

/** Token `status`. */
export function checkStatus(value: unknown): 'enabled' | 'disabled' | undefined {
  if (value === undefined || value === null) return undefined;
  if (value !== 'enabled' && value !== 'disabled') throw fail(400, 'status must be enabled or disabled');
  return value;
}

/**
 * Token `expiryDate`: null clears it; a date must be at least `minLifetimeMs` ahead (the DCD asks
 * for an hour; tests shorten it). Returns epoch ms, null for "never", undefined when absent.
 */
export function checkExpiry(value: unknown, now: number, minLifetimeMs: number): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  const at = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) throw fail(400, 'expiryDate must be an RFC 3339 date-time');
  if (at < now + minLifetimeMs) throw fail(400, 'expiryDate must be at least 1 hour in the future');
  return at;
}

/** An integer query parameter within bounds (IONOS sends 400 for anything else). */
export function intParam(
  raw: string | null,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw fail(400, `${name} must be an integer`);
  const value = Number(raw);
  if (value < min || value > max) throw fail(400, `${name} must be between ${min} and ${max}`);
  return value;
}
