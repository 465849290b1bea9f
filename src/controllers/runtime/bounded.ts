import { createHash } from 'node:crypto';
import type { KubernetesObject, V1ObjectMeta } from '@kubernetes/client-node';

/**
 * What a cached string becomes when it is longer than its bound: a digest of it, so that two
 * equal oversized values still compare equal (a rotation request honoured is still honoured) and
 * the cache holds a few dozen bytes whatever the value was. Never a valid name, label value or
 * timestamp, so it cannot be mistaken for one.
 */
export function digestMarker(value: string): string {
  return `oversized:sha256:${createHash('sha256').update(value).digest('hex')}`;
}

/** The value, or its {@link digestMarker} when it is longer than `max` characters. */
export function boundValue(value: string, max: number): string {
  return value.length <= max ? value : digestMarker(value);
}

/** Bounds for {@link boundRecord}. */
export interface RecordBounds {
  /** Longest value kept as it is; longer ones become a {@link digestMarker}. */
  maxValue: number;
  /** Most characters of keys and values kept in all; entries past it are dropped. */
  maxTotal: number;
  /** Keys kept before the others when the total runs out (e.g. the operator's own). */
  first?: (key: string) => boolean;
  /** Keys never kept (e.g. kubectl's last-applied-configuration). */
  drop?: (key: string) => boolean;
}

/**
 * A label or annotation map cut to a bounded size: long values become digests, and once
 * `maxTotal` characters are kept the remaining entries (in key order, `first` ones before) are
 * left out. Whoever can edit the object chooses these maps, so the cache must not grow with them.
 */
export function boundRecord(
  record: Readonly<Record<string, string>> | undefined,
  bounds: RecordBounds,
): Record<string, string> | undefined {
  if (!record) return undefined;
  const keys = Object.keys(record)
    .filter((k) => !bounds.drop?.(k))
    .sort((a, b) => Number(bounds.first?.(b) ?? 0) - Number(bounds.first?.(a) ?? 0) || (a < b ? -1 : 1));
  const kept: Record<string, string> = {};
  let total = 0;
  for (const key of keys) {
    const value = boundValue(record[key] ?? '', bounds.maxValue);
    total += key.length + value.length;
    if (total > bounds.maxTotal) break;
    kept[key] = value;
  }
  return keys.length === 0 ? undefined : kept;
}

/** kubectl's copy of the whole last applied object: up to 256 KiB that nobody reads from a cache. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** The prefix of the operator's own annotations, which the engine and reconcilers read. */
export const OWN_ANNOTATION_PREFIX = 'berth.dev/';

/** Bounds of labels and annotations in the default cache transform. */
export const METADATA_BOUNDS = {
  labels: { maxValue: 63, maxTotal: 4096 },
  annotations: {
    // The operator's own annotation values are timestamps and names; a rotation request is echoed
    // into the Secret, whose cache bounds it the same way, so both sides compare equal.
    maxValue: 256,
    maxTotal: 4096,
    first: (key: string) => key.startsWith(OWN_ANNOTATION_PREFIX),
    drop: (key: string) => key === LAST_APPLIED_ANNOTATION,
  },
} satisfies Record<string, RecordBounds>;

/**
 * The default cache transform: the object without `metadata.managedFields` (often a third of
 * its size) and with labels and annotations bounded ({@link METADATA_BOUNDS}): a tenant who may
 * edit a RegistryToken may also give it a 256 KiB annotation, and the cache must grow with the
 * number of objects, not with what is written on them. The spec and status stay as they are:
 * the CRD schema bounds those.
 */
export function compactObject<T extends KubernetesObject>(obj: T): T {
  const metadata = obj.metadata;
  if (!metadata) return obj;
  const { managedFields: _, labels, annotations, ...rest } = metadata;
  const kept: V1ObjectMeta = { ...rest };
  const boundedLabels = boundRecord(labels, METADATA_BOUNDS.labels);
  const boundedAnnotations = boundRecord(annotations, METADATA_BOUNDS.annotations);
  if (boundedLabels) kept.labels = boundedLabels;
  if (boundedAnnotations) kept.annotations = boundedAnnotations;
  return { ...obj, metadata: kept };
}
