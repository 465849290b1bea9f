import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ResilientInformer } from './informer.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, n: { list: number; watch: number }) => void;

/** A stand-in kube-apiserver for one collection, scripted per request, to produce failures on demand. */
async function fakeApiServer(handler: Handler): Promise<{ server: Server; url: string }> {
  const counts = { list: 0, watch: 0 };
  const server = createServer((req, res) => {
    const watch = new URL(req.url ?? '/', 'http://x').searchParams.get('watch') === 'true';
    if (watch) counts.watch++;
    else counts.list++;
    handler(req, res, counts);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const list = (rv: string, names: string[]) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMapList',
    metadata: { resourceVersion: rv },
    items: names.map((name) => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } })),
  });

const isWatch = (req: IncomingMessage) => (req.url ?? '').includes('watch=true');

describe('ResilientInformer failure handling', () => {
  let server: Server | undefined;
  let informer: ResilientInformer<V1ConfigMap> | undefined;
  afterEach(async () => {
    await informer?.stop();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  function start(url: string, extra: { watchdogMs?: number } = {}) {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'not-a-real-token' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    const listFn = async () => {
      const res = await fetch(`${url}/api/v1/namespaces/ns/configmaps`);
      if (!res.ok) throw Object.assign(new Error(`list failed: ${res.status}`), { statusCode: res.status });
      return (await res.json()) as { items: V1ConfigMap[]; metadata: { resourceVersion: string } };
    };
    informer = new ResilientInformer<V1ConfigMap>({
      name: 'fake',
      kubeConfig: kc,
      path: '/api/v1/namespaces/ns/configmaps',
      list: listFn,
      logger: pino({ level: 'silent' }),
      backoff: { initialMs: 50, maxMs: 200, jitter: 0 },
      ...extra,
    });
    return informer;
  }

  it('relists after a 410 Gone in the watch stream, dropping objects that vanished', async () => {
    ({ server } = await fakeApiServer((req, res, n) => {
      if (!isWatch(req)) return res.end(n.list === 1 ? list('10', ['old']) : list('20', ['new']));
      res.writeHead(200, { 'content-type': 'application/json' });
      if (n.watch === 1) {
        res.end(
          `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } })}\n`,
        );
      }
      // Later watches stay open and quiet.
    }));
    const inf = start(
      `http://${(server.address() as AddressInfo).address}:${(server.address() as AddressInfo).port}`,
    );
    const deleted: string[] = [];
    inf.on('delete', (cm) => deleted.push(cm.metadata?.name ?? ''));
    await inf.start();
    await waitUntil(() => inf.get('new', 'ns') !== undefined);
    expect(inf.get('old', 'ns')).toBeUndefined();
    expect(deleted).toEqual(['old']);
  });

  it('asks for bookmarks and resumes from the last one instead of relisting', async () => {
    const watchUrls: string[] = [];
    ({ server } = await fakeApiServer((req, res, n) => {
      if (!isWatch(req)) return res.end(list('10', ['a']));
      watchUrls.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      if (n.watch === 1) {
        // A bookmark, then the server ends the watch (its timeout): the resume must start at 42.
        res.end(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '42' } } })}\n`);
      }
    }));
    const { port } = server.address() as AddressInfo;
    const inf = start(`http://127.0.0.1:${port}`);
    await inf.start();
    await waitUntil(() => watchUrls.length >= 2);
    expect(watchUrls.every((u) => u.includes('allowWatchBookmarks=true'))).toBe(true);
    expect(watchUrls[1]).toContain('resourceVersion=42');
    expect(inf.listCount).toBe(1);
  });

  it('keeps objects without managedFields, from the list and from the watch', async () => {
    const managedFields = [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:data': {} } }];
    ({ server } = await fakeApiServer((req, res) => {
      if (!isWatch(req)) {
        return res.end(
          JSON.stringify({
            metadata: { resourceVersion: '1' },
            items: [{ metadata: { name: 'listed', namespace: 'ns', resourceVersion: '1', managedFields } }],
          }),
        );
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      const object = { metadata: { name: 'watched', namespace: 'ns', resourceVersion: '2', managedFields } };
      res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
    }));
    const { port } = server.address() as AddressInfo;
    const inf = start(`http://127.0.0.1:${port}`);
    await inf.start();
    await waitUntil(() => inf.get('watched', 'ns') !== undefined);
    expect(inf.get('listed', 'ns')?.metadata).toEqual({
      name: 'listed',
      namespace: 'ns',
      resourceVersion: '1',
    });
    expect(inf.get('watched', 'ns')?.metadata?.managedFields).toBeUndefined();
  });

  it('restarts with backoff after a failed list instead of stopping for good', async () => {
    ({ server } = await fakeApiServer((req, res, n) => {
      if (isWatch(req)) return void res.writeHead(200).flushHeaders();
      if (n.list <= 2) {
        res.statusCode = 500;
        return res.end('{"kind":"Status","code":500}');
      }
      res.end(list('5', ['a']));
    }));
    const { port } = server.address() as AddressInfo;
    const inf = start(`http://127.0.0.1:${port}`);
    await inf.start();
    expect(inf.synced).toBe(true);
    expect(inf.get('a', 'ns')).toBeDefined();
    expect(inf.restartCount).toBe(2);
  });

  it('restarts a stalled list when its watchdog sees no activity', async () => {
    ({ server } = await fakeApiServer((req, res, n) => {
      if (isWatch(req)) return void res.writeHead(200).flushHeaders();
      if (n.list === 1) return; // never answers, like a half-open connection
      res.end(list('7', ['late']));
    }));
    const { port } = server.address() as AddressInfo;
    const inf = start(`http://127.0.0.1:${port}`, { watchdogMs: 300 });
    await inf.start();
    expect(inf.get('late', 'ns')).toBeDefined();
    expect(inf.restartCount).toBeGreaterThanOrEqual(1);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
