import { Agent } from 'undici';

let shared: Agent | undefined;

/**
 * The connection pool every provider API client shares. undici pools per origin already, so one
 * Agent serves every registry and credential; a client rebuilt after its credentials changed then
 * leaves no pool (sockets, timers) behind, which one Agent per client did.
 */
export function sharedAgent(): Agent {
  shared ??= new Agent({ keepAliveTimeout: 30_000, connections: 64 });
  return shared;
}
