import { z } from 'zod';
import { withRules } from './cel.ts';
import { duration } from './duration.ts';

/** A glob: `*` matches within one path segment, `**` across segments, `?` one character. */
const GLOB = /^[A-Za-z0-9._\-/*?]+$/;

/** A list of globs, e.g. repository or tag patterns. */
export function globs(description: string, maxItems = 64) {
  return z
    .array(z.string().min(1).max(255).regex(GLOB).describe('A glob pattern.'))
    .max(maxItems)
    .meta({ 'x-kubernetes-list-type': 'set' })
    .describe(`${description} Globs: * matches within a path segment, ** across segments, ? one character.`);
}

/** Which repositories a policy covers. */
export const RepositoryFilterSchema = z
  .object({
    include: globs('Repositories the policy applies to, e.g. shop/*; ** for all.').min(1),
    exclude: globs('Repositories never touched, even if included.').optional(),
  })
  .describe(
    'The repositories the policy covers. An explicit include is required, so nothing is covered by accident.',
  );

/** What is kept and what is deleted within each covered repository. */
export const RetentionRulesSchema = withRules(
  z
    .object({
      keepLast: z
        .number()
        .int()
        .min(0)
        .max(10_000)
        .optional()
        .describe('Keep the newest N tags (by push time) of each repository, whatever their age.'),
      olderThan: duration('Delete only tags pushed longer ago than this.', { min: '1h' }).optional(),
      keepTags: globs('Tags that are never deleted, e.g. latest or v*.').optional(),
      tags: z
        .object({
          include: globs('Tags the rules apply to; all tags when unset.').optional(),
          exclude: globs('Tags the rules never apply to.').optional(),
        })
        .optional()
        .describe('Restricts the rules to some tags; other tags are kept.'),
      untagged: z
        .enum(['Keep', 'Delete'])
        .default('Keep')
        .describe('Untagged manifests: Keep (default) or Delete (subject to minAge).'),
      minAge: duration(
        'Nothing pushed more recently than this is ever deleted, so a push in progress is safe.',
        {
          max: '87600h',
        },
      ).default('1h'),
    })
    .describe(
      'A tag is deleted when it matches tags, does not match keepTags, is not among the keepLast newest and ' +
        'is older than olderThan (every rule that is set must agree).',
    ),
  [
    {
      rule: 'has(self.keepLast) || has(self.olderThan)',
      message: 'rules must set keepLast or olderThan; otherwise every matching tag would be deleted',
      check: (v) => v.keepLast !== undefined || v.olderThan !== undefined,
    },
  ],
);

/**
 * How many tags of one manifest a run item lists: a manifest tagged many times must not make the
 * status of a run (50 items) grow without bound; `moreTags` counts the rest.
 */
export const MAX_TAGS_PER_ITEM = 10;

/** A deletion (or would-be deletion) of the last run, for `kubectl describe`. */
export const RunItemSchema = z
  .object({
    repository: z.string().max(255).describe('The repository.'),
    tag: z
      .string()
      .max(128)
      .optional()
      .describe('The one tag the item is about, when a tag is deleted or kept on its own.'),
    tags: z
      .array(z.string().max(128).describe('A tag.'))
      .max(MAX_TAGS_PER_ITEM)
      .optional()
      .describe(
        `When the item is a whole manifest: every tag it carries, all deleted with it when it is (empty: ` +
          `untagged); at most ${MAX_TAGS_PER_ITEM}, moreTags counts the rest.`,
      ),
    moreTags: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('How many more tags the manifest carries than tags lists.'),
    digest: z.string().max(128).optional().describe('The manifest digest.'),
    of: z
      .string()
      .max(128)
      .optional()
      .describe(
        'The digest of the image this item belongs to: the subject of a signature, SBOM or other ' +
          'referrer, or the index of a platform manifest. Listed right after that image.',
      ),
    action: z
      .enum(['Deleted', 'AlreadyGone', 'WouldDelete', 'Failed', 'Kept'])
      .describe(
        'What happened: Deleted, AlreadyGone (the registry answered that it was not there: 404), ' +
          'WouldDelete (dry run), Failed or Kept.',
      ),
    reason: z.string().max(256).describe('Which rule decided it, or the error.'),
  })
  .describe('One item of the last run.');

/** How many skipped repositories status.lastRun names; repositoriesSkipped counts them all. */
export const MAX_SKIPPED_REPOSITORIES = 20;

/** A repository a run skipped because its images could not be listed. */
export const SkippedRepositorySchema = z
  .object({
    repository: z.string().max(255).describe('The repository.'),
    reason: z.string().max(256).describe('Why its images could not be listed (the provider error).'),
  })
  .describe('A repository the run skipped.');

/** Counters of the last run. */
export const RunSummarySchema = z
  .object({
    startedAt: z.iso.datetime({ offset: true }).optional().describe('When the run started.'),
    finishedAt: z.iso.datetime({ offset: true }).optional().describe('When the run finished.'),
    dryRun: z.boolean().describe('Whether the run only reported what it would delete.'),
    repositories: z.number().int().min(0).optional().describe('Repositories evaluated.'),
    repositoriesSkipped: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Repositories skipped because their images could not be listed (unset: none).'),
    skippedRepositories: z
      .array(SkippedRepositorySchema)
      .max(MAX_SKIPPED_REPOSITORIES)
      .optional()
      .describe(`Up to ${MAX_SKIPPED_REPOSITORIES} of the skipped repositories, each with the reason.`),
    evaluated: z.number().int().min(0).describe('Tags and manifests evaluated.'),
    deleted: z.number().int().min(0).describe('Deleted (or, in a dry run, would be deleted).'),
    alreadyGone: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Deletions the registry answered with "not found": gone before the run deleted them.'),
    kept: z.number().int().min(0).describe('Kept by a rule.'),
    failed: z.number().int().min(0).describe('Deletions that failed.'),
    bytesFreed: z
      .number()
      .int()
      .min(0)
      .meta({ format: 'int64' })
      .optional()
      .describe('Bytes the deletions free once garbage collection ran, where the provider reports sizes.'),
    stoppedAtLimit: z
      .boolean()
      .describe('True when the run stopped at maxDeletionsPerRun with more to delete.'),
    notEffective: z
      .string()
      .max(1024)
      .optional()
      .describe(
        'Set when the run reported deletions that did not take effect (read back still there): what ' +
          'to check. The policy stays Ready=False, DeletionsNotEffective, until the next run.',
      ),
  })
  .describe('What the last run did.');

/** status.lastRunItems[] of a CleanupPolicy. */
export type RunItem = z.infer<typeof RunItemSchema>;
/** status.lastRun of a CleanupPolicy. */
export type RunSummary = z.infer<typeof RunSummarySchema>;
/** status.lastRun.skippedRepositories[] of a CleanupPolicy. */
export type SkippedRepository = z.infer<typeof SkippedRepositorySchema>;
