import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { compactObject } from '../runtime/bounded.ts';
import { consentOf } from './consent.ts';
import { copyMetadata, type SecretContent, upToDate } from './copies.ts';
import { contentHash } from './docker-config.ts';
import { secretProblem } from './secret.ts';
import { cacheSecret, dataHashOf, metadataDigest, metadataDigestOf } from './secret-cache.ts';

/** A Secret a tenant made as large as the API server allows, labelled as if it were berth's. */
function tenantSecret(): V1Secret {
  const big = (n: number) => randomBytes(n).toString('base64');
  return {
    metadata: {
      name: 'bomb',
      namespace: 'team-a',
      uid: 'u-1',
      resourceVersion: '9',
      labels: { 'app.kubernetes.io/managed-by': 'berth', 'berth.dev/token-uid': 'x'.repeat(63), other: 'y' },
      annotations: {
        'berth.dev/content-hash': big(200_000),
        'berth.dev/credential-id': 'c-1',
        'kubectl.kubernetes.io/last-applied-configuration': big(200_000),
      },
      ownerReferences: [
        {
          apiVersion: 'berth.dev/v1alpha1',
          kind: 'RegistryToken',
          name: 'n'.repeat(5000),
          uid: 'u',
          controller: true,
        },
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'c' },
      ],
      managedFields: [{ manager: 'kubectl', fieldsV1: { big: big(100_000) } }],
    },
    type: big(50_000),
    data: { '.dockerconfigjson': big(1024 * 1024) },
  };
}

describe('the Secret cache (issue 18, item 2)', () => {
  it('item 2: keeps about a kilobyte of a 1 MiB Secret, whatever a tenant put into it', () => {
    const raw = tenantSecret();
    const cached = cacheSecret(raw);
    expect(JSON.stringify(cached).length).toBeLessThan(1500);
    expect(cached.data).toBeUndefined();
    expect(cached.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'berth',
      'berth.dev/token-uid': 'x'.repeat(63),
    });
    expect(cached.metadata?.annotations?.['berth.dev/credential-id']).toBe('c-1');
    expect(cached.metadata?.ownerReferences).toHaveLength(1);
    expect(cached.metadata?.ownerReferences?.[0]?.kind).toBe('RegistryToken');
    // What berth decides by stays decidable: the digests are those of the full Secret.
    expect(dataHashOf(cached)).toBe(contentHash(raw.data ?? {}));
    expect(metadataDigestOf(cached)).toBe(metadataDigestOf(raw));
    expect(cacheSecret(cached)).toBe(cached);
  });

  it('item 2: tells an edited Secret from an intact one by the cached hash, as from a live read', () => {
    const data = { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') };
    const intact: V1Secret = {
      metadata: {
        name: 's',
        namespace: 'ns',
        annotations: { 'berth.dev/content-hash': contentHash(data), 'berth.dev/credential-id': 'c' },
      },
      data,
    };
    const edited: V1Secret = { ...intact, data: { '.dockerconfigjson': 'e30=' } };
    expect(secretProblem(cacheSecret(intact), 'c')).toBeUndefined();
    expect(secretProblem(intact, 'c')).toBeUndefined();
    expect(secretProblem(cacheSecret(edited), 'c')).toBe('SecretModified');
    expect(secretProblem(cacheSecret(intact), 'other')).toBe('SecretModified');
  });

  it('item 2: compares a copy by digests: equal when data, type, labels and annotations are', () => {
    const data = { '.dockerconfigjson': 'YQ==' };
    const primary: SecretContent = {
      name: 'pull',
      type: 'kubernetes.io/dockerconfigjson',
      dataHash: contentHash(data),
      data: async () => data,
      labels: { team: 'shop' },
      annotations: { 'berth.dev/content-hash': contentHash(data), 'example.com/owner': 'shop' },
    };
    const meta = copyMetadata(primary, 'uid-1', consentOf({}));
    const copy: V1Secret = {
      metadata: { name: 'pull', namespace: 'web', uid: 'c', resourceVersion: '1', ...meta },
      type: primary.type,
      data,
    };
    expect(upToDate(cacheSecret(copy), primary, meta)).toBe(true);
    const relabelled = { ...copy, metadata: { ...copy.metadata, labels: { ...meta.labels, extra: 'x' } } };
    expect(upToDate(cacheSecret(relabelled), primary, meta)).toBe(false);
    expect(upToDate(cacheSecret({ ...copy, data: { '.dockerconfigjson': 'Yg==' } }), primary, meta)).toBe(
      false,
    );
    expect(upToDate(cacheSecret({ ...copy, type: 'Opaque' }), primary, meta)).toBe(false);
    // A namespace that accepts the user's keys makes them part of what the copy must carry.
    const wider = copyMetadata(primary, 'uid-1', consentOf({ 'berth.dev/accept-copy-labels': 'team' }));
    expect(upToDate(cacheSecret(copy), primary, wider)).toBe(false);
    expect(metadataDigest(wider.labels, wider.annotations)).not.toBe(
      metadataDigest(meta.labels, meta.annotations),
    );
  });

  it('item 2: a long rotation request reads the same from the token’s cache and its Secret’s', () => {
    for (const length of [20, 300, 5000]) {
      const requested = 'r'.repeat(length);
      const token = compactObject({
        metadata: { name: 't', annotations: { 'berth.dev/rotate-requested-at': requested } },
      });
      const secret = cacheSecret({
        metadata: { name: 't', annotations: { 'berth.dev/rotation-request': requested } },
      });
      expect(secret.metadata?.annotations?.['berth.dev/rotation-request']).toBe(
        token.metadata?.annotations?.['berth.dev/rotate-requested-at'],
      );
    }
  });
});
