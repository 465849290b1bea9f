import type { CoreV1Api, KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../runtime/clock.ts';
import type { SecondaryCache } from '../runtime/controller.ts';
import { OWN_WRITE_EXPIRY_MS } from '../runtime/own-writes.ts';
import { cacheReads } from './cache-ports.ts';
import { CREDENTIALS_TTL_MS, cachedCredentials } from './credentials-cache.ts';

/** A cache over a Map keyed `namespace/name` (cluster-scoped objects: `/name`). */
function mapCache(objects: Map<string, KubernetesObject>): SecondaryCache {
  return {
    get: (name, namespace) => objects.get(`${namespace ?? ''}/${name}`),
    list: () => [...objects.values()],
    synced: true,
  };
}

const secret = (name: string, resourceVersion: string, labels: Record<string, string> = {}): V1Secret => ({
  metadata: { name, namespace: 'ns', resourceVersion, labels },
  type: 'kubernetes.io/dockerconfigjson',
});

/** The world as the informer saw it, what the API server holds, and a count of live reads. */
function world() {
  const cached = new Map<string, KubernetesObject>();
  const live = new Map<string, V1Secret>();
  let liveReads = 0;
  const core = {
    async readNamespacedSecret({ namespace, name }: { namespace: string; name: string }) {
      liveReads++;
      const found = live.get(`${namespace}/${name}`);
      if (!found) throw Object.assign(new Error('not found'), { code: 404 });
      return found;
    },
  } as unknown as CoreV1Api;
  const clock = new FakeClock();
  const empty = mapCache(new Map());
  const serviceAccounts = new Map<string, KubernetesObject>();
  const reads = cacheReads(
    () => ({
      registries: empty,
      namespaces: empty,
      secrets: mapCache(cached),
      serviceAccounts: mapCache(serviceAccounts),
    }),
    core,
    clock,
  );
  return { cached, live, serviceAccounts, reads, clock, liveReads: () => liveReads };
}

describe('cacheReads: Secrets', () => {
  it('answers from the cache without asking the API server', async () => {
    const w = world();
    w.cached.set('ns/pull', secret('pull', '5'));
    expect((await w.reads.secret('ns', 'pull'))?.metadata?.resourceVersion).toBe('5');
    expect(w.liveReads()).toBe(0);
  });

  it('reads live after our own write until the watch delivers it, then trusts the cache again', async () => {
    const w = world();
    w.cached.set('ns/pull', secret('pull', '5'));
    w.live.set('ns/pull', secret('pull', '7'));
    w.reads.wroteSecret(secret('pull', '7'));
    // The cache still holds version 5: a decision on it would rotate a credential already replaced.
    expect((await w.reads.secret('ns', 'pull'))?.metadata?.resourceVersion).toBe('7');
    expect(w.liveReads()).toBe(1);
    w.cached.set('ns/pull', secret('pull', '7'));
    w.reads.observeSecret(secret('pull', '7'), 'update');
    expect((await w.reads.secret('ns', 'pull'))?.metadata?.resourceVersion).toBe('7');
    expect(w.liveReads()).toBe(1);
  });

  it('sees a Secret it just created although the cache has not heard of it', async () => {
    const w = world();
    w.live.set('ns/pull', secret('pull', '3'));
    w.reads.wroteSecret(secret('pull', '3'));
    expect((await w.reads.secret('ns', 'pull'))?.metadata?.resourceVersion).toBe('3');
  });

  it('stops distrusting the cache when the watch missed the version for longer than the expiry', async () => {
    const w = world();
    w.cached.set('ns/pull', secret('pull', '5'));
    w.reads.wroteSecret(secret('pull', '7'));
    await w.clock.advance(OWN_WRITE_EXPIRY_MS + 1);
    expect((await w.reads.secret('ns', 'pull'))?.metadata?.resourceVersion).toBe('5');
    expect(w.liveReads()).toBe(0);
  });

  it('finds the copies of a token by its UID label, as the watch reports them', () => {
    const w = world();
    const copy = (namespace: string, rv: string, uid: string) => {
      const s = secret('pull', rv, { 'berth.dev/token-uid': uid });
      s.metadata = { ...s.metadata, namespace };
      w.cached.set(`${namespace}/pull`, s);
      return s;
    };
    w.reads.observeSecret(copy('a', '1', 'u1'), 'add');
    w.reads.observeSecret(copy('b', '2', 'u2'), 'add');
    w.reads.observeSecret(copy('c', '3', 'u1'), 'add');
    expect(w.reads.copies('u1').map((s) => s.metadata?.namespace)).toEqual(['a', 'c']);
    // Relabelled to another token, then deleted: gone from the first token's copies.
    w.reads.observeSecret(copy('c', '4', 'u2'), 'update');
    expect(w.reads.copies('u1').map((s) => s.metadata?.namespace)).toEqual(['a']);
    const deleted = w.cached.get('a/pull') as V1Secret;
    w.cached.delete('a/pull');
    w.reads.observeSecret(deleted, 'delete');
    expect(w.reads.copies('u1')).toEqual([]);
    expect(w.reads.copies('u2').map((s) => s.metadata?.namespace)).toEqual(['b', 'c']);
  });
});

describe('cacheReads: ServiceAccounts', () => {
  it('says which pull secrets a cached ServiceAccount lists, and nothing for one it does not hold', () => {
    const w = world();
    w.serviceAccounts.set('shop/default', {
      metadata: { name: 'default', namespace: 'shop' },
      imagePullSecrets: [{ name: 'shop-pull' }],
    } as KubernetesObject);
    expect(w.reads.pullSecretsOf('shop', 'default')).toEqual(['shop-pull']);
    expect(w.reads.pullSecretsOf('web', 'default')).toBeUndefined();
  });
});

describe('cacheReads: registries', () => {
  it('returns undefined for a registry that does not parse instead of throwing', () => {
    const bad = new Map<string, KubernetesObject>([['ns/r', { metadata: { name: 'r', namespace: 'ns' } }]]);
    const empty = mapCache(new Map());
    const reads = cacheReads(
      () => ({ registries: mapCache(bad), namespaces: empty, secrets: empty, serviceAccounts: empty }),
      {} as CoreV1Api,
      new FakeClock(),
    );
    expect(reads.registry('ns', 'r')).toBeUndefined();
    expect(reads.registry('ns', 'missing')).toBeUndefined();
  });
});

describe('cacheReads: berth’s records on ServiceAccounts', () => {
  const sa = (name: string, namespace: string, record?: string) => ({
    metadata: {
      name,
      namespace,
      ...(record === undefined ? {} : { annotations: { 'berth.dev/attached-pull-secrets': record } }),
    },
  });

  it('item 3: knows which ServiceAccounts carry berth’s record of a Secret, as the watch tells', () => {
    const w = world();
    w.reads.observeServiceAccount(sa('default', 'web', 'shop-pull,other'), 'add');
    w.reads.observeServiceAccount(sa('builder', 'web', 'shop-pull'), 'add');
    w.reads.observeServiceAccount(sa('default', 'api', 'shop-pull'), 'add');
    expect(w.reads.attachedTo('web', 'shop-pull')).toEqual(['builder', 'default']);
    expect(w.reads.attachedTo('web', 'other')).toEqual(['default']);
    w.reads.observeServiceAccount(sa('default', 'web', 'other'), 'update');
    expect(w.reads.attachedTo('web', 'shop-pull')).toEqual(['builder']);
    w.reads.observeServiceAccount(sa('builder', 'web'), 'update');
    w.reads.observeServiceAccount(sa('default', 'web', 'other'), 'delete');
    expect(w.reads.attachedTo('web', 'shop-pull')).toEqual([]);
    expect(w.reads.attachedTo('web', 'other')).toEqual([]);
    expect(w.reads.attachedTo('api', 'shop-pull')).toEqual(['default']);
  });

  it('does not claim to know the pull secrets of a ServiceAccount it holds only in part', () => {
    const w = world();
    w.serviceAccounts.set('web/default', {
      metadata: { name: 'default' },
      pullSecretsTruncated: true,
    } as never);
    w.serviceAccounts.set('web/builder', {
      metadata: { name: 'builder' },
      imagePullSecrets: [{ name: 'x' }],
    } as never);
    expect(w.reads.pullSecretsOf('web', 'default')).toBeUndefined();
    expect(w.reads.pullSecretsOf('web', 'builder')).toEqual(['x']);
    expect(w.reads.pullSecretsOf('web', 'missing')).toBeUndefined();
  });
});

describe('cachedCredentials', () => {
  it('reads a credentials Secret once per TTL, then again so that fixed credentials take effect', async () => {
    const clock = new FakeClock();
    let reads = 0;
    const read = cachedCredentials(async () => ({ token: `v${++reads}` }) as never, clock);
    expect(await read('ns', 'api')).toEqual({ token: 'v1' });
    await clock.advance(CREDENTIALS_TTL_MS - 1);
    expect(await read('ns', 'api')).toEqual({ token: 'v1' });
    expect(await read('ns', 'other')).toEqual({ token: 'v2' });
    await clock.advance(2);
    expect(await read('ns', 'api')).toEqual({ token: 'v3' });
  });
});
