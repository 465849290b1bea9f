/**
 * Response bodies of the IONOS Cloud Container Registry API (1.0 spec plus the 1.1-1.2 fields from
 * the SDK models, see shared/providers/ionos.md). Lenient on purpose: the live API is newer than any
 * published spec, dates come back in more than one format, and optional blocks may be missing or
 * null. Only what the adapter relies on is required.
 */
import { z } from 'zod';

/** The weekdays of a garbage collection schedule. */
export const WEEKDAYS = [
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
] as const;

/** A weekday of a garbage collection schedule. */
export type Weekday = (typeof WEEKDAYS)[number];

const optionalString = z.string().nullish();

/** `ApiResourceMetadata` (1.0) / `Metadata` (1.1+): who and when, plus the lifecycle state. */
export const MetadataSchema = z.looseObject({
  createdBy: optionalString,
  createdByUserId: optionalString,
  createdDate: optionalString,
  lastModifiedBy: optionalString,
  lastModifiedByUserId: optionalString,
  lastModifiedDate: optionalString,
  // No enum in any spec: New, BUSY, WaitingForStorage, Running, ... compared case-insensitively.
  state: optionalString,
  resourceURN: optionalString,
});

/** `WeeklySchedule`: days and a UTC partial-time such as `01:23:00+00:00`. */
export const WeeklyScheduleSchema = z.looseObject({
  days: z.array(z.string()).nullish(),
  time: optionalString,
});

/** `RegistryProperties`. `hostname` is empty until the registry is provisioned. */
export const RegistryPropertiesSchema = z.looseObject({
  name: z.string(),
  location: z.string(),
  hostname: optionalString,
  garbageCollectionSchedule: WeeklyScheduleSchema.nullish(),
  storageUsage: z.looseObject({ bytes: z.number().nullish(), updatedAt: optionalString }).nullish(),
  features: z
    .looseObject({
      vulnerabilityScanning: z.looseObject({ enabled: z.boolean().nullish() }).nullish(),
    })
    .nullish(),
  apiSubnetAllowList: z.array(z.string()).nullish(),
});

/** `RegistryResponse` (also `PostRegistryOutput` and `PutRegistryOutput`). */
export const RegistrySchema = z.looseObject({
  id: z.string().min(1),
  type: optionalString,
  href: optionalString,
  metadata: MetadataSchema.nullish(),
  properties: RegistryPropertiesSchema,
});

/** `RegistriesResponse`: paged by an opaque `pagination.token`. */
export const RegistriesSchema = z.looseObject({
  items: z.array(RegistrySchema).nullish(),
  pagination: z.looseObject({ limit: z.number().nullish(), token: optionalString }).nullish(),
  _links: z.looseObject({ next: optionalString, previous: optionalString, self: optionalString }).nullish(),
});

/** `Scope`: a repository (or `*`), its type and the granted actions. */
export const ScopeSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  actions: z.array(z.string()).nullish(),
});

/** `TokenProperties`. `credentials.password` is non-empty only in the create response. */
export const TokenPropertiesSchema = z.looseObject({
  name: z.string(),
  credentials: z.looseObject({ username: optionalString, password: optionalString }).nullish(),
  expiryDate: optionalString,
  status: optionalString,
  scopes: z.array(ScopeSchema).nullish(),
});

/** `TokenResponse` (also `PostTokenOutput` and `PutTokenOutput`). */
export const TokenSchema = z.looseObject({
  id: z.string().min(1),
  type: optionalString,
  href: optionalString,
  metadata: MetadataSchema.nullish(),
  properties: TokenPropertiesSchema,
});

/** `TokensResponse`: paged by `offset`/`limit` with `count` and `total`. */
export const TokensSchema = z.looseObject({
  items: z.array(TokenSchema).nullish(),
  count: z.number().nullish(),
  offset: z.number().nullish(),
  limit: z.number().nullish(),
  total: z.number().nullish(),
});

/** `LocationsResponse`. */
export const LocationsSchema = z.looseObject({
  items: z.array(z.looseObject({ id: z.string() })).nullish(),
});

/** Offset pages of 1.1+ collections: `_links.next` is present only when more elements exist. */
const PageLinksSchema = z
  .looseObject({ next: optionalString, prev: optionalString, self: optionalString })
  .nullish();

/** `RepositoryRead` (1.1+): the ID is the repository name. */
export const RepositorySchema = z.looseObject({
  id: z.string(),
  type: optionalString,
  href: optionalString,
  properties: z.looseObject({ name: z.string() }),
  metadata: z
    .looseObject({
      artifactCount: z.number().nullish(),
      pullCount: z.number().nullish(),
      pushCount: z.number().nullish(),
      lastPulledAt: optionalString,
      lastPushedAt: optionalString,
      lastSeverity: optionalString,
    })
    .nullish(),
});

/** `RepositoryReadList` (1.1+). */
export const RepositoriesSchema = z.looseObject({
  items: z.array(RepositorySchema).nullish(),
  offset: z.number().nullish(),
  limit: z.number().nullish(),
  _links: PageLinksSchema,
});

/** `ArtifactRead` (1.1+): the ID is the manifest digest. */
export const ArtifactSchema = z.looseObject({
  id: z.string(),
  type: optionalString,
  href: optionalString,
  properties: z.looseObject({
    repositoryName: optionalString,
    digest: z.string(),
    tags: z.array(z.string()).nullish(),
    mediaType: optionalString,
  }),
  metadata: z
    .looseObject({
      lastPushedAt: optionalString,
      lastPulledAt: optionalString,
      lastScannedAt: optionalString,
      pushCount: z.number().nullish(),
      pullCount: z.number().nullish(),
    })
    .nullish(),
});

/** `ArtifactReadList` (1.1+). */
export const ArtifactsSchema = z.looseObject({
  items: z.array(ArtifactSchema).nullish(),
  offset: z.number().nullish(),
  limit: z.number().nullish(),
  _links: PageLinksSchema,
});

/** A registry as the API returns it. */
export type IonosRegistry = z.infer<typeof RegistrySchema>;
/** A token as the API returns it. */
export type IonosToken = z.infer<typeof TokenSchema>;
/** A token scope as the API returns it. */
export type IonosScope = z.infer<typeof ScopeSchema>;
/** A repository as the API returns it. */
export type IonosRepository = z.infer<typeof RepositorySchema>;
/** An artifact as the API returns it. */
export type IonosArtifact = z.infer<typeof ArtifactSchema>;

/** Error bodies: `{httpStatus, messages:[{errorCode, message}]}`, but also `{msg}` (docs example). */
export const ErrorBodySchema = z.looseObject({
  httpStatus: z.number().nullish(),
  messages: z
    .array(z.looseObject({ errorCode: z.union([z.string(), z.number()]).nullish(), message: optionalString }))
    .nullish(),
  msg: optionalString,
  message: optionalString,
});
