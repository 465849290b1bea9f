import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What the health server asks the operator. */
export interface HealthSource {
  /** Liveness: false makes /healthz fail so the kubelet restarts the pod. */
  live(): boolean;
  /** Readiness: true only once every informer cache has synced. */
  ready(): boolean;
}

/** The one HTTP server of the operator: `/metrics`, `/healthz`, `/readyz`. */
export interface HealthServer {
  /** `host:port` actually bound (useful with port 0). */
  address: string;
  close(): Promise<void>;
}

/** Parses `:8080`, `127.0.0.1:0` or `[::1]:9090` into host and port. */
export function parseListenAddress(addr: string): { host: string; port: number } {
  const colon = addr.lastIndexOf(':');
  const host = addr.slice(0, colon).replace(/^\[|\]$/g, '') || '0.0.0.0';
  return { host, port: Number(addr.slice(colon + 1)) };
}

/** Starts the server and resolves once it listens. */
export async function startHealthServer(
  addr: string,
  registry: Registry,
  source: HealthSource,
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    switch (path) {
      case '/metrics':
        registry.metrics().then(
          (text) => reply(200, text, registry.contentType),
          (err: unknown) => reply(500, `metrics failed: ${(err as Error).message}\n`),
        );
        return;
      case '/healthz':
        return source.live() ? reply(200, 'ok\n') : reply(500, 'not live\n');
      case '/readyz':
        return source.ready() ? reply(200, 'ok\n') : reply(503, 'informer caches not synced\n');
      default:
        return reply(404, 'not found\n');
    }
  });
  const { host, port } = parseListenAddress(addr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
