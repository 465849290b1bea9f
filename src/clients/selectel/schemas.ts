/**
 * Response bodies of the Selectel Container Registry API (CRaaS, "Container Registry API v2.2") and
 * of the Keystone identity service that issues its IAM tokens. Shapes follow the seed document's
 * samples (recorded in ./testdata). The notes (docs/providers and /work/shared/providers/selectel.md)
 * say the API is inconsistent between versions and clients, so fields the operator does not key on
 * are optional and unknown status words pass through instead of failing the parse.
 */
import { z } from 'zod';

/** Registry states craas-go knows; anything else is kept as the provider sent it. */
export const REGISTRY_STATUSES = ['CREATING', 'ACTIVE', 'DELETING', 'GARBAGE_COLLECTION', 'ERROR'] as const;

/** A registry word from {@link REGISTRY_STATUSES}, or an unknown one passed through. */
export type RegistryStatus = (typeof REGISTRY_STATUSES)[number] | (string & {});

/** `Registry` of the v1 API (list, get, create). `used` is a percentage of `sizeLimit` (a float). */
export const RegistrySchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  createdAt: z.string().optional(),
  size: z.number().optional(),
  sizeLimit: z.number().optional(),
  used: z.number().optional(),
});

/** A registry as the API returns it. */
export type Registry = z.infer<typeof RegistrySchema>;

/** An empty list can come back as 204 with no body (craas-go #10), read as an empty array. */
function listOrNoContent<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);
}

/** `GET /v1/registries`: a bare array, or nothing at all when there are none. */
export const RegistryListV1Schema = listOrNoContent(RegistrySchema);

/** `GET /v2/registries`: an envelope with the total; items lack sizeLimit/used. */
export const RegistryListV2Schema = z.object({
  registries: z.array(RegistrySchema),
  totalCount: z.number().int(),
});

/**
 * A listing's items one by one: an item that does not parse is left out with the reason, so one
 * odd entry never fails the page (Go's decoder in craas-go is as lenient with a null or missing
 * field). `count` is how many the page held, skipped ones included, so paging moves past them.
 * An empty answer (204, no body) is an empty page.
 */
export function lenientList<T extends z.ZodType>(item: T, key: string) {
  return z
    .array(z.unknown())
    .nullish()
    .transform((raw) => {
      const items: z.infer<T>[] = [];
      const skipped: string[] = [];
      for (const [index, value] of (raw ?? []).entries()) {
        const parsed = item.safeParse(value);
        if (parsed.success) items.push(parsed.data);
        else skipped.push(skipReason(value, key, index, parsed.error));
      }
      return { items, count: raw?.length ?? 0, skipped };
    });
}

/** Why an item was skipped: its key if it has one, else its index, and the first problem. */
function skipReason(value: unknown, key: string, index: number, error: z.ZodError): string {
  const id = (value as Record<string, unknown> | null)?.[key];
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'item';
  return `${typeof id === 'string' ? id : `item ${index}`}: ${where}: ${issue?.message ?? 'invalid'}`;
}

/** A repository (`type` is e.g. `image` or `helm_chart`). */
export const RepositorySchema = z.object({
  name: z.string(),
  size: z.number().optional(),
  type: z.string().optional(),
  updatedAt: z.string().optional(),
});

/** A repository as the API returns it. */
export type Repository = z.infer<typeof RepositorySchema>;

/** `GET /v1/registries/{id}/repositories`: bare array or 204 (craas-go ListRepositories). */
export const RepositoryListV1Schema = lenientList(RepositorySchema, 'name');

/** `GET /v2/registries/{id}/repositories`: the seed's paged envelope (204 read as empty). */
export const RepositoryListV2Schema = z
  .object({
    repositories: lenientList(RepositorySchema, 'name'),
    totalCount: z.number().int(),
    filteredCount: z.number().int().optional(),
  })
  .nullish()
  .transform((v) => v ?? { repositories: { items: [], count: 0, skipped: [] }, totalCount: 0 });

/** One layer of an image. */
export const LayerSchema = z.object({ digest: z.string(), size: z.number() });

/**
 * An image (manifest) with its tags. `createdAt` stands with `architecture`, `os` and `layers`: it
 * is the image config's creation time, set by the build (1970 or 0001 for reproducible builds),
 * not the push time, which the API does not report per image (see push-time.ts). Null or missing
 * (an image without a config time; Go's decoder reads it as the zero time) it is unknown, which
 * makes the push time unknown and the cleanup planner keep the image.
 */
export const ImageSchema = z.object({
  digest: z.string(),
  tags: z
    .array(z.string())
    .nullish()
    .transform((v) => v ?? []),
  createdAt: z.string().nullish(),
  size: z.number().optional(),
  layers: z.array(LayerSchema).nullish(),
  architecture: z.string().optional(),
  os: z.string().optional(),
  mediaType: z.string().optional(),
});

/** An image as the API returns it. */
export type Image = z.infer<typeof ImageSchema>;

/** `GET /v1/registries/{id}/repositories/{name}/images`: a bare array (craas-go ListImages); 204 read as empty. */
export const ImageListV1Schema = lenientList(ImageSchema, 'digest');

/** `GET /v2/registries/{id}/repositories/{name}/images`: the seed's paged envelope (204 read as empty). */
export const ImageListV2Schema = z
  .object({
    images: lenientList(ImageSchema, 'digest'),
    totalCount: z.number().int(),
    filteredCount: z.number().int().optional(),
  })
  .nullish()
  .transform((v) => v ?? { images: { items: [], count: 0, skipped: [] }, totalCount: 0 });

/**
 * "List layers" (`GET …/{name}/{reference}`): craas-go decodes `[Layer]` (its fixture), the seed
 * shows an Image whose `layers` are the same; either reads as the layer list.
 */
export const LayerListSchema = z.union([
  z.array(LayerSchema),
  z.object({ layers: z.array(LayerSchema).nullish() }).transform((image) => image.layers ?? []),
]);

/** `POST …/cleanup`: a 200 can still be a partial failure, listed in `failed`. */
export const CleanupResultSchema = z.object({
  deleted: z
    .array(z.object({ digest: z.string(), tags: z.array(z.string()).nullish() }))
    .nullish()
    .transform((v) => v ?? []),
  failed: z
    .array(
      z.object({ digest: z.string(), tags: z.array(z.string()).nullish(), error: z.string().optional() }),
    )
    .nullish()
    .transform((v) => v ?? []),
});

/** What a cleanup did. */
export type CleanupResult = z.infer<typeof CleanupResultSchema>;

/** `GET /v1/registries/{id}/garbage-collection/size`, in bytes. */
export const GcSizeSchema = z.object({
  sizeNonReferenced: z.number(),
  sizeUntagged: z.number(),
  sizeSummary: z.number(),
});

/** v1 token (`POST /v1/token`, refresh): the token string is its own identity. */
export const TokenV1Schema = z.object({
  token: z.string(),
  expireAt: z.number(),
  expireIn: z.number().optional(),
});

/** `GET /v1/token/{token}` (craas-go only): expiry without the token. */
export const TokenV1InfoSchema = z.object({ expireAt: z.number(), expireIn: z.number().optional() });

/**
 * `POST /v1/token/{token}/refresh`: the reference's sample carries the token, but craas-go refills
 * it from the path after decoding, so an answer without it must not fail (tokens-api.ts refills).
 */
export const TokenV1RefreshSchema = TokenV1InfoSchema.extend({ token: z.string().optional() });

/** When a v2 token expires; `isSet: false` means never. */
export const TokenExpirationSchema = z.object({
  isSet: z.boolean(),
  expiresAt: z.string().nullish(),
});

/** Which registries a v2 token opens, and whether it may push/delete. */
export const TokenScopeSchema = z.object({
  allRegistries: z.boolean(),
  modeRW: z.boolean(),
  registryIds: z
    .array(z.string())
    .nullish()
    .transform((v) => v ?? []),
});

/** A v2 token as read back: never with its secret. Status: active, revoked, expired, deleted. */
export const TokenV2Schema = z.object({
  id: z.string(),
  name: z.string().optional(),
  createdAt: z.string().optional(),
  lastUsedAt: z.string().nullish(),
  status: z.string(),
  expiration: TokenExpirationSchema,
  scope: TokenScopeSchema,
});

/** A v2 token as read back. */
export type TokenV2 = z.infer<typeof TokenV2Schema>;

/** Create and regenerate answers: the token plus its secret, shown only this once. */
export const TokenV2WithSecretSchema = TokenV2Schema.extend({ token: z.string().min(1) });

/** `GET /v2/tokens`: paged envelope. */
export const TokenListV2Schema = z.object({
  tokens: z.array(TokenV2Schema),
  totalCount: z.number().int(),
});

/** Keystone `POST /v3/auth/tokens` body; the token itself is in the `X-Subject-Token` header. */
export const KeystoneTokenSchema = z.object({
  token: z.object({
    expires_at: z.string(),
    issued_at: z.string().optional(),
    project: z.object({ id: z.string(), name: z.string().optional() }).optional(),
  }),
});
