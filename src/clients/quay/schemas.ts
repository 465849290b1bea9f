/**
 * zod schemas of the Quay API responses berth reads (/api/v1). Objects are loose: Quay adds keys
 * between versions and per feature flag (quotas, immutable tags), and the guide documents almost no
 * response models, so only the keys the adapter relies on are required. Shapes follow the research
 * notes (/work/shared/providers/quay.md §3), which were taken from the Quay source.
 */
import { z } from 'zod';

/** An RFC 2822 date as Quay formats it ("Fri, 10 May 2024 15:11:00 -0000"), or null. */
const QuayDate = z.string().nullish();

/** The avatar block of users, robots and organizations (not used, never required). */
const Avatar = z.looseObject({}).nullish();

/**
 * Every Quay error body: the RFC 7807-like ApiException (status/title/detail and the deprecated
 * error_message/error_type aliases), the `{message}` of a DataModelException, or `{error}`.
 */
export const ApiErrorSchema = z.looseObject({
  status: z.number().optional(),
  title: z.string().optional(),
  type: z.string().optional(),
  detail: z.string().optional(),
  error_message: z.string().optional(),
  error_type: z.string().optional(),
  message: z.string().optional(),
  error: z.string().optional(),
});

/** `GET /user/`: the user the OAuth token acts for. */
export const UserSchema = z.looseObject({
  anonymous: z.boolean().optional(),
  username: z.string().optional(),
  email: z.string().nullish(),
  organizations: z.array(z.looseObject({ name: z.string().optional() })).optional(),
});

/** `GET/PUT /organization/{org}`; `tag_expiration_s` and teams only appear for administrators. */
export const OrganizationSchema = z.looseObject({
  name: z.string(),
  email: z.string().nullish(),
  avatar: Avatar,
  is_admin: z.boolean().optional(),
  is_member: z.boolean().optional(),
  tag_expiration_s: z.number().nullish(),
});

/** `POST /organization/` answers 201 with the JSON string "Created". */
export const CreatedSchema = z.string();

/** A robot account; `token` only for organization administrators (and only when asked for in lists). */
export const RobotSchema = z.looseObject({
  name: z.string(),
  created: QuayDate,
  last_accessed: QuayDate,
  description: z.string().nullish(),
  token: z.string().optional(),
  unstructured_metadata: z.record(z.string(), z.unknown()).nullish(),
  /** Only in lists with `permissions=true`: names of the repositories the robot is granted directly. */
  repositories: z.array(z.string()).optional(),
});

/** `GET /organization/{org}/robots` (not paginated; `limit` only truncates). */
export const RobotListSchema = z.looseObject({ robots: z.array(RobotSchema) });

/** `GET /organization/{org}/robots/{short}/permissions`. */
export const RobotPermissionsSchema = z.looseObject({
  permissions: z.array(
    z.looseObject({
      repository: z.looseObject({ name: z.string(), is_public: z.boolean().optional() }),
      role: z.string(),
    }),
  ),
});

/** `POST /repository` (201). */
export const RepositoryCreatedSchema = z.looseObject({
  namespace: z.string(),
  name: z.string(),
  kind: z.string().nullish(),
});

/** One entry of `GET /repository`. */
export const RepositorySummarySchema = z.looseObject({
  namespace: z.string(),
  name: z.string(),
  description: z.string().nullish(),
  is_public: z.boolean().optional(),
  kind: z.string().nullish(),
  state: z.string().nullish(),
});

/** `GET /repository?namespace=`: one page; `next_page` is an opaque token, absent on the last page. */
export const RepositoryListSchema = z.looseObject({
  repositories: z.array(RepositorySummarySchema),
  next_page: z.string().nullish(),
});

/** `GET /repository/{repo}`. */
export const RepositorySchema = RepositorySummarySchema.extend({
  is_organization: z.boolean().optional(),
  tag_expiration_s: z.number().nullish(),
  can_write: z.boolean().optional(),
  can_admin: z.boolean().optional(),
});

/** Repository roles (user and robot permissions). */
export const RoleSchema = z.enum(['read', 'write', 'admin']);

/** A user or robot permission on a repository (`PUT .../permissions/user/{name}` and the list values). */
export const PermissionSchema = z.looseObject({
  role: RoleSchema,
  name: z.string(),
  is_robot: z.boolean().optional(),
  avatar: Avatar,
  is_org_member: z.boolean().optional(),
});

/** `GET /repository/{repo}/permissions/user/`: a map keyed by user name, not an array. */
export const PermissionMapSchema = z.looseObject({
  permissions: z.record(z.string(), PermissionSchema),
});

/** A tag, active or (without `onlyActiveTags`) from the history. Times are Unix seconds. */
export const TagSchema = z.looseObject({
  name: z.string(),
  reversion: z.boolean().optional(),
  start_ts: z.number(),
  end_ts: z.number().nullish(),
  manifest_digest: z.string(),
  is_manifest_list: z.boolean().optional(),
  size: z.number().nullish(),
  last_modified: QuayDate,
  expiration: QuayDate,
  immutable: z.boolean().optional(),
});

/** `GET /repository/{repo}/tag/`: 1-based pages, `has_additional` while more follow. */
export const TagListSchema = z.looseObject({
  tags: z.array(TagSchema),
  page: z.number(),
  has_additional: z.boolean(),
});

/** An auto-prune policy (org or repository level). */
export const AutoPrunePolicySchema = z.looseObject({
  uuid: z.string(),
  method: z.string(),
  value: z.union([z.number(), z.string()]),
  tagPattern: z.string().nullish(),
  tagPatternMatches: z.boolean().optional(),
});

/** `GET .../autoprunepolicy/`. */
export const AutoPrunePolicyListSchema = z.looseObject({ policies: z.array(AutoPrunePolicySchema) });

/** `POST` (201) and `DELETE` (200) of an auto-prune policy. */
export const AutoPruneUuidSchema = z.looseObject({ uuid: z.string() });

/** A robot as parsed. */
export type QuayRobot = z.infer<typeof RobotSchema>;
/** A repository list entry as parsed. */
export type QuayRepositorySummary = z.infer<typeof RepositorySummarySchema>;
/** A tag as parsed. */
export type QuayTag = z.infer<typeof TagSchema>;
/** An auto-prune policy as parsed. */
export type QuayAutoPrunePolicy = z.infer<typeof AutoPrunePolicySchema>;
/** A repository role. */
export type QuayRole = z.infer<typeof RoleSchema>;
