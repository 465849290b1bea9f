import { z } from 'zod';

/** OCI image manifest (`application/vnd.oci.image.manifest.v1+json`). */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** OCI image index (`application/vnd.oci.image.index.v1+json`). */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** Docker image manifest, schema 2. */
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** Docker manifest list (the multi-arch form of schema 2). */
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** Media types of manifests that describe one image (a config plus layers). */
export const IMAGE_MEDIA_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];
/** Media types of manifests that list other manifests (multi-arch images). */
export const INDEX_MEDIA_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];

/**
 * The Accept header of manifest requests. Without it a registry may down-convert or refuse: a
 * distribution registry answers 404 for an index when the client does not accept index types.
 */
export const MANIFEST_ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].join(', ');

/** `sha256:<64 hex>` and the other registered algorithms of the OCI digest grammar. */
export const DIGEST_PATTERN = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** A content descriptor: what a manifest says about a blob or a child manifest. */
export const DescriptorSchema = z.object({
  mediaType: z.string(),
  digest: z.string().regex(DIGEST_PATTERN),
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
  artifactType: z.string().optional(),
});

/** A descriptor in an index, with the platform it was built for (absent for attestations etc.). */
export const PlatformDescriptorSchema = DescriptorSchema.extend({
  platform: z
    .object({
      architecture: z.string(),
      os: z.string(),
      variant: z.string().optional(),
      'os.version': z.string().optional(),
    })
    .optional(),
});

/** An image manifest, OCI or Docker schema 2 (same shape; `mediaType` is optional in OCI). */
export const ImageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
  subject: DescriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** An OCI image index or a Docker manifest list. */
export const IndexManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(PlatformDescriptorSchema),
  subject: DescriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** `GET /v2/_catalog`; distribution sends `null` rather than `[]` for an empty registry. */
export const CatalogSchema = z.object({
  repositories: z
    .array(z.string())
    .nullish()
    .transform((r) => r ?? []),
});

/** `GET /v2/<name>/tags/list`; `tags` is `null` for a repository whose tags were all deleted. */
export const TagListSchema = z.object({
  name: z.string(),
  tags: z
    .array(z.string())
    .nullish()
    .transform((t) => t ?? []),
});

/**
 * The token endpoint's answer. Docker clients read `token`, OAuth2 ones `access_token`; services
 * send either or both. `expires_in` defaults to 60 seconds per the token authentication spec.
 */
export const TokenResponseSchema = z
  .object({
    token: z.string().min(1).optional(),
    access_token: z.string().min(1).optional(),
    expires_in: z.number().positive().optional(),
    issued_at: z.string().optional(),
  })
  .refine((t) => t.token !== undefined || t.access_token !== undefined, {
    message: 'neither token nor access_token',
  });

/** The distribution error body: `{"errors":[{"code":"NAME_UNKNOWN","message":"...","detail":...}]}`. */
export const ErrorBodySchema = z.object({
  errors: z.array(z.object({ code: z.string().optional(), message: z.string().optional() })).min(1),
});

/** A parsed image manifest. */
export type ImageManifest = z.infer<typeof ImageManifestSchema>;
/** A parsed index or manifest list. */
export type IndexManifest = z.infer<typeof IndexManifestSchema>;
/** A content descriptor. */
export type Descriptor = z.infer<typeof DescriptorSchema>;
