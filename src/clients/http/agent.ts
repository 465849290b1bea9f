import { Agent } from 'undici';

/**
 * How long every provider connection pool keeps an idle connection (see
 * docs/adr/018-stale-connections.md). A connection the server closed while berth still holds it
 * fails the next request written to it ("other side closed"), so berth lets go first.
 */
export const KEEP_ALIVE = {
  // Below the shortest common server default, gunicorn's 2 s (nginx 75 s, Node 5 s), by a second
  // for the round trip and a busy event loop: gunicorn sends no Keep-Alive header to learn from.
  keepAliveTimeout: 1_000,
  // A server that advertises `Keep-Alive: timeout=N` is kept N s minus this (undici's default,
  // stated so a new undici cannot change it): 5 s from Node means 3 s, 2 s means no reuse at all.
  keepAliveTimeoutThreshold: 2_000,
  // An advertised timeout counts for the server, not for the load balancers and NAT gateways
  // between it and berth: never longer than berth ever kept a connection.
  keepAliveMaxTimeout: 30_000,
} as const;

let shared: Agent | undefined;

/**
 * The connection pool every provider API client shares. undici pools per origin already, so one
 * Agent serves every registry and credential; a client rebuilt after its credentials changed then
 * leaves no pool (sockets, timers) behind, which one Agent per client did.
 */
export function sharedAgent(): Agent {
  shared ??= new Agent({ ...KEEP_ALIVE, connections: 64 });
  return shared;
}
