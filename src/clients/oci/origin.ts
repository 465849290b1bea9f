import { isLoopbackHost, isLoopbackServer } from '../../util/host.ts';
import type { ProviderName } from '../http/errors.ts';

/**
 * The base URL of a registry's OCI API from its docker server (`host[:port]`): https, except for a
 * registry on the loopback interface (simulators and tests), which speaks plain http as docker and
 * crane assume too. Only a real loopback host counts, never a name that merely starts like one.
 */
export function registryBaseUrl(server: string): string {
  return `${isLoopbackServer(server) ? 'http' : 'https'}://${server}`;
}

/**
 * Hosts a provider is known to run its registry token service on, apart from the registry's own
 * host. None so far: Quay answers `/v2/auth` on the registry host (shared/providers/quay.md), and
 * neither IONOS nor Selectel documents a token service elsewhere. A realm on any other host is
 * refused until its host is confirmed and listed here.
 */
export const KNOWN_TOKEN_HOSTS: Readonly<Record<ProviderName, readonly string[]>> = {
  ionos: [],
  selectel: [],
  quay: [],
};

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '').toLowerCase();

/**
 * Why a `WWW-Authenticate` realm must not get the registry credentials, or undefined when it may:
 * https on the registry's own host or on one of `tokenHosts`; plain http only when both the
 * registry and the realm are on loopback (the simulators' token service names `localhost` while
 * the registry listens on 127.0.0.1). A registry can name any realm; without this check Basic
 * credentials would go wherever a broken or hostile registry pointed.
 */
export function realmRefusal(realm: URL, registry: URL, tokenHosts: readonly string[]): string | undefined {
  const host = bare(realm.hostname);
  const registryHost = bare(registry.hostname);
  const loopback = isLoopbackHost(host) && isLoopbackHost(registryHost);
  // A registry reached over plain http on purpose (loopback, or a provider block with insecure:
  // true) may name a plain-http realm on its own host: nothing better is on offer there.
  if (realm.protocol === 'http:' && !loopback && !(registry.protocol === 'http:' && host === registryHost))
    return `registry token realm ${host} is plain http; berth sends credentials only over https`;
  if (realm.protocol !== 'https:' && realm.protocol !== 'http:')
    return `registry token realm ${host} is not an http(s) URL`;
  if (host === registryHost || tokenHosts.includes(host) || loopback) return undefined;
  return (
    `registry token realm ${host} is neither the registry's own host (${registryHost}) nor a token ` +
    'service its provider is known to use; berth sends no credentials there'
  );
}
