import { BlockList, isIP } from 'node:net';

const LOOPBACK_V4 = new BlockList();
LOOPBACK_V4.addSubnet('127.0.0.0', 8, 'ipv4');
/** Only `::1`, in any spelling; IPv4-mapped addresses are left out, as Kubernetes CEL's isIP does. */
const LOOPBACK_V6 = new BlockList();
LOOPBACK_V6.addAddress('::1', 'ipv6');

/** A parsed `host[:port]`: the host lower-cased, IPv6 without brackets. */
export interface HostPort {
  host: string;
  port: number | undefined;
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[^\s[\]/:@?#]*)(?::([0-9]{1,5}))?$/;

/**
 * Parses `host`, `host:port`, `[v6]` or `[v6]:port` exactly: nothing before or after it (no
 * scheme, user, path or query), a port from 0 to 65535, an IPv6 address only in brackets.
 * Undefined for anything else. The host may be empty (`:8080`, a listen address on every interface).
 */
export function parseHostPort(value: string): HostPort | undefined {
  const m = HOST_PORT.exec(value);
  if (!m) return undefined;
  const [, rawHost = '', rawPort] = m;
  const bracketed = rawHost.startsWith('[');
  const host = (bracketed ? rawHost.slice(1, -1) : rawHost).toLowerCase();
  if (bracketed && isIP(host) !== 6) return undefined;
  const port = rawPort === undefined ? undefined : Number(rawPort);
  if (port !== undefined && port > 65_535) return undefined;
  return { host, port };
}

/**
 * True only for a loopback host: `localhost`, an IPv4 address in 127.0.0.0/8 or `::1` (as a bare
 * host, without brackets or port). A prefix test is not enough: `localhost-shop.example.com` and
 * `127.evil.example` are names anyone can point anywhere.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return LOOPBACK_V4.check(h, 'ipv4');
  if (isIP(h) === 6) return LOOPBACK_V6.check(h, 'ipv6');
  return false;
}

/** True when `server` (a docker server, `host[:port]`) is on the loopback interface. */
export function isLoopbackServer(server: string): boolean {
  const parsed = parseHostPort(server);
  return parsed !== undefined && isLoopbackHost(parsed.host);
}
