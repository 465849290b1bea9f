import { isLoopbackServer } from '../../util/host.ts';

/**
 * The base URL of a registry's OCI API from its docker server (`host[:port]`): https, except for a
 * registry on the loopback interface (simulators and tests), which speaks plain http as docker and
 * crane assume too. Only a real loopback host counts, never a name that merely starts like one.
 */
export function registryBaseUrl(server: string): string {
  return `${isLoopbackServer(server) ? 'http' : 'https'}://${server}`;
}
