import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';

/** A loopback proxy in front of the API server whose watch streams run late. */
export interface LaggingApiServer {
  /** A kubeconfig for the proxy (plain HTTP on loopback; the proxy authenticates upstream). */
  kubeConfig: KubeConfig;
  /** Watch requests served so far. */
  readonly watches: number;
  stop(): Promise<void>;
}

/**
 * Delays every chunk by `delayMs` from its arrival, in order, without letting delays add up
 * (equal timeouts fire in the order they were set).
 */
class Delay extends Transform {
  private pending = 0;
  private flushed: TransformCallback | undefined;
  private readonly delayMs: number;

  constructor(delayMs: number) {
    super();
    this.delayMs = delayMs;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending++;
    setTimeout(() => {
      this.push(chunk);
      if (--this.pending === 0) this.flushed?.();
    }, this.delayMs);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pending === 0) done();
    else this.flushed = done;
  }
}

/**
 * Starts a proxy to the cluster of `admin` that passes every request straight through, except
 * that the events of watch requests reach the client `watchDelayMs` late: what an API server
 * under load, or a long way off, does to an operator's informers. Requests and their answers are
 * not delayed, so a client's own write is done well before its informer hears of it.
 */
export async function startLaggingApiServer(
  admin: KubeConfig,
  watchDelayMs: number,
): Promise<LaggingApiServer> {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  const upstream = new URL(cluster.server);
  const tls: RequestOptions = {};
  await admin.applyToHTTPSOptions(tls);
  let watches = 0;

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const watch = /[?&]watch=(true|1)(&|$)/.test(req.url ?? '');
    if (watch) watches++;
    const headers = { ...req.headers, host: upstream.host };
    const out = httpsRequest(
      {
        ...tls,
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (watch) answer.pipe(new Delay(watchDelayMs)).pipe(res);
        else answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    req.pipe(out);
  };

  const server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'lagging', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'proxy' }],
    contexts: [{ name: 'lagging', cluster: 'lagging', user: 'proxy' }],
    currentContext: 'lagging',
  });
  return {
    kubeConfig,
    get watches() {
      return watches;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
