import { KubeConfig, RequestContext } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { reuseConnections } from './clients.ts';

/** A kubeconfig with a CA, as every real one has (without TLS options client-node uses no Agent). */
function kubeConfig(ca: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: Buffer.from(ca).toString('base64') }],
    users: [{ name: 'u', token: 'not-a-real-token' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

async function dispatcherOf(kc: KubeConfig): Promise<unknown> {
  const context = new RequestContext('https://127.0.0.1:6443/api/v1/namespaces', 'GET' as never);
  await kc.applySecurityAuthentication(context);
  return context.getDispatcher();
}

describe('reuseConnections', () => {
  it('gives every request the same connection pool instead of a new one (and TLS handshake) each', async () => {
    const plain = kubeConfig('ca-1');
    expect(await dispatcherOf(plain)).not.toBe(await dispatcherOf(plain));
    const kc = reuseConnections(kubeConfig('ca-1'));
    const first = await dispatcherOf(kc);
    expect(first).toBeDefined();
    expect(await dispatcherOf(kc)).toBe(first);
  });

  it('makes a new pool when the TLS settings change', async () => {
    const kc = reuseConnections(kubeConfig('ca-1'));
    const first = await dispatcherOf(kc);
    kc.clusters[0] = { ...kc.clusters[0], caData: Buffer.from('ca-2').toString('base64') } as never;
    expect(await dispatcherOf(kc)).not.toBe(first);
  });
});
