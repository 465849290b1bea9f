// Provider requests by kind, from the simulator's own request log: what berth asked of the
// provider in each phase, and how many of those asks met an injected fault.
import type { LoggedRequest } from '../../src/simulators/core/server.ts';

/** What a request does, across the three providers' APIs. */
export type RequestKind = 'list' | 'get' | 'create' | 'patch' | 'delete' | 'login' | 'other';

/** Kinds in the order the report shows them. */
export const KINDS: readonly RequestKind[] = ['list', 'get', 'create', 'patch', 'delete', 'login', 'other'];

/**
 * The kind of a logged request, from its method and route pattern. Providers disagree on verbs:
 * IONOS creates a token with POST (or PUT to an ID), Quay a robot with PUT; Selectel revokes with
 * POST .../revoke and extends with POST .../refresh; Quay grants a robot a repository with PUT
 * .../permissions/user/:name. A GET of a pattern ending in a parameter reads one object.
 */
export function kindOf(method: string, route: string): RequestKind {
  const path = route.slice(route.indexOf(' ') + 1).replace(/\/$/, '');
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (path.includes('/identity/')) return 'login';
  switch (method) {
    case 'GET':
    case 'HEAD':
      return last.startsWith(':') ? 'get' : 'list';
    case 'DELETE':
      return 'delete';
    case 'PATCH':
      return 'patch';
    case 'POST':
      if (last === 'revoke') return 'delete';
      if (last === 'refresh') return 'patch';
      return 'create';
    case 'PUT':
      if (path.includes('/permissions/')) return 'patch';
      if (/\/(robots|tokens)\/:[A-Za-z]+$/.test(path)) return 'create';
      return 'patch';
    default:
      return 'other';
  }
}

/** Requests of one kind and how many of them met an injected fault. */
export interface KindCount {
  requests: number;
  faulted: number;
}

/** Counts by kind, by route and by injected fault. */
export interface RequestCounts {
  total: number;
  byKind: Record<RequestKind, KindCount>;
  /** `METHOD /pattern` -> requests. */
  byRoute: Record<string, number>;
  /** Injected fault kind (reset, rateLimit, serverError, loseResponse) -> requests. */
  byFault: Record<string, number>;
}

/** Counts the log entries from index `from` up to (not including) `to`. */
export function countRequests(log: readonly LoggedRequest[], from = 0, to = log.length): RequestCounts {
  const byKind = Object.fromEntries(KINDS.map((k) => [k, { requests: 0, faulted: 0 }])) as Record<
    RequestKind,
    KindCount
  >;
  const counts: RequestCounts = { total: 0, byKind, byRoute: {}, byFault: {} };
  for (const entry of log.slice(from, to)) {
    const kind = byKind[kindOf(entry.method, entry.route)];
    kind.requests++;
    if (entry.fault) {
      kind.faulted++;
      counts.byFault[entry.fault] = (counts.byFault[entry.fault] ?? 0) + 1;
    }
    counts.byRoute[entry.route] = (counts.byRoute[entry.route] ?? 0) + 1;
    counts.total++;
  }
  return counts;
}
