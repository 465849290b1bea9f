import { createHash } from 'node:crypto';
import type { KubernetesObject, V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import { registryTokenCrd } from '../../crds/index.ts';
import { MANAGED_BY_LABEL } from '../../crds/token-parts.ts';
import { boundRecord, boundValue, METADATA_BOUNDS } from '../runtime/bounded.ts';
import { pickMetadata } from '../shared/namespaces.ts';
import { contentHash } from './docker-config.ts';
import { SecretAnnotation } from './reasons.ts';

/** Label on every copy: the RegistryToken's UID (copies cannot have cross-namespace ownerReferences). */
export const TOKEN_UID_LABEL = 'berth.dev/token-uid';

/** What a cached Secret carries instead of its content. */
export interface SecretDigests {
  /** {@link contentHash} of the data: what the content-hash annotation is compared with. */
  data: string;
  /** {@link metadataDigest} of all its labels and annotations: copies compare by it. */
  metadata: string;
}

/** A Secret as the cache holds it: metadata berth decides by, and digests instead of data. */
export type CachedSecret = V1Secret & { digests?: SecretDigests };

/** The labels a cached Secret keeps: berth's own. */
const KEPT_LABELS = new Set([MANAGED_BY_LABEL, TOKEN_UID_LABEL]);

/** The annotations a cached Secret keeps: berth's own. */
const KEPT_ANNOTATIONS = new Set<string>(Object.values(SecretAnnotation));

/**
 * Longest string kept of a name, kind, type or annotation value; longer ones become digests. The
 * same bound as the RegistryToken cache's annotations: the rotation request a token carries and
 * the one its Secret records then compare equal however long a tenant made it.
 */
const MAX_STRING = METADATA_BOUNDS.annotations.maxValue;

/**
 * A digest of a Secret's labels and annotations together, so that an existing copy can be
 * compared with what it should carry without keeping either in the cache.
 */
export function metadataDigest(
  labels: Readonly<Record<string, string>> | undefined,
  annotations: Readonly<Record<string, string>> | undefined,
): string {
  const sorted = (r: Readonly<Record<string, string>> | undefined) =>
    Object.keys(r ?? {})
      .sort()
      .map((k) => [k, r?.[k]]);
  return createHash('sha256')
    .update(JSON.stringify([sorted(labels), sorted(annotations)]))
    .digest('hex');
}

/**
 * The Secret informer's transform: everything a tenant can put into a Secret labelled
 * `app.kubernetes.io/managed-by: berth` is cut to about a kilobyte whatever its size: name,
 * namespace, uid, resourceVersion, type, berth's labels and annotations (bounded), the controller
 * reference if it is a RegistryToken, and digests of the data and of all labels and annotations.
 * A Secret already transformed is returned as it is.
 */
export function cacheSecret(obj: V1Secret | KubernetesObject): CachedSecret {
  const secret = obj as CachedSecret;
  if (secret.digests) return secret;
  const m = secret.metadata ?? {};
  const pick = (record: Record<string, string> | undefined, keys: ReadonlySet<string>) => {
    const kept = Object.fromEntries(Object.entries(record ?? {}).filter(([k]) => keys.has(k)));
    return boundRecord(kept, { maxValue: MAX_STRING, maxTotal: 4 * MAX_STRING });
  };
  const labels = pick(m.labels, KEPT_LABELS);
  const annotations = pick(m.annotations, KEPT_ANNOTATIONS);
  const owner = controllerToken(m.ownerReferences);
  return {
    metadata: {
      ...pickMetadata(m, ['name', 'namespace', 'uid', 'resourceVersion']),
      ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
      ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
      ...(owner ? { ownerReferences: [owner] } : {}),
    },
    ...(secret.type !== undefined ? { type: boundValue(secret.type, MAX_STRING) } : {}),
    digests: {
      data: contentHash(secret.data ?? {}),
      metadata: metadataDigest(m.labels, m.annotations),
    },
  };
}

/** The controller reference to a RegistryToken, bounded; other references are not kept. */
function controllerToken(refs: readonly V1OwnerReference[] | undefined): V1OwnerReference | undefined {
  const ref = refs?.find((r) => r.controller === true && r.kind === registryTokenCrd.kind);
  if (!ref) return undefined;
  return {
    apiVersion: boundValue(ref.apiVersion, MAX_STRING),
    kind: ref.kind,
    name: boundValue(ref.name, MAX_STRING),
    uid: boundValue(ref.uid, MAX_STRING),
    controller: true,
  };
}

/** The content hash of a Secret's data: from the cache's digest, or computed from a live read. */
export function dataHashOf(secret: V1Secret): string {
  return (secret as CachedSecret).digests?.data ?? contentHash(secret.data ?? {});
}

/** The digest of a Secret's labels and annotations: from the cache, or computed from a live read. */
export function metadataDigestOf(secret: V1Secret): string {
  return (
    (secret as CachedSecret).digests?.metadata ??
    metadataDigest(secret.metadata?.labels, secret.metadata?.annotations)
  );
}

/** Whether this Secret came from the cache (no data) rather than from a live read. */
export function isCached(secret: V1Secret): boolean {
  return (secret as CachedSecret).digests !== undefined;
}
