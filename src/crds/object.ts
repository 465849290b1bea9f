import { z } from 'zod';

/** The API group of every berth kind. */
export const GROUP = 'berth.dev';
/** The one served and stored version. */
export const VERSION = 'v1alpha1';
/** `apiVersion` of every berth object. */
export const API_VERSION = `${GROUP}/${VERSION}`;

/**
 * A timestamp in metadata: a string from the wire, or a Date when client-node's serializer has
 * already converted it (it does for typed core objects), so both parse.
 */
const metaTime = z.union([z.string(), z.date()]);

/**
 * The metadata fields controllers read. Loose: fields the API server adds (managedFields,
 * ownerReferences, creationTimestamp, ...) are kept as they are, never a parse failure.
 * Not part of the CRD schema; the API server owns metadata validation.
 */
export const ObjectMetaSchema = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().min(1),
  uid: z.string().optional(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: metaTime.optional(),
  deletionTimestamp: metaTime.optional(),
  finalizers: z.array(z.string()).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** Metadata of a namespaced object as it comes from the API server. */
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

/**
 * The whole-object schema for a kind: apiVersion, kind, metadata, spec and an optional status.
 * `objectRules` sees the whole object, for rules that need `metadata.name` next to the spec.
 */
export function customObjectSchema<
  K extends string,
  Spec extends z.ZodType<object>,
  Status extends z.ZodType<object>,
>(kind: K, spec: Spec, status: Status) {
  return z.looseObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(kind),
    metadata: ObjectMetaSchema,
    spec,
    status: status.optional(),
  });
}
