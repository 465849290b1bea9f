import { z } from 'zod';
import { withRules } from './cel.ts';
import {
  RepositoryFilterSchema,
  RetentionRulesSchema,
  RunItemSchema,
  RunSummarySchema,
} from './cleanup-rules.ts';
import { conditionColumns, futureTimeColumn } from './columns.ts';
import { IssuingRegistrySchema, RegistryReferenceSchema } from './common.ts';
import type { CrdDescriptor } from './crd.ts';
import { CRON_PATTERN, TIME_ZONE_PATTERN } from './cron.ts';
import { customObjectSchema } from './object.ts';
import { baseStatusShape, timestamp, withStatusDefault } from './status.ts';

/** How many items of the last run status keeps; the full list goes to the log. */
export const MAX_RUN_ITEMS = 50;

/**
 * spec.maxDeletionsPerRun when unset. The API server stores the default, so an explicit 100 cannot
 * be told from none: where it matters (Native mode's Ready message) 100 counts as unset.
 */
export const DEFAULT_MAX_DELETIONS_PER_RUN = 100;

/** Native mode must be expressible as Quay auto-prune policies; Operator mode has no such limits. */
const native = "self.mode != 'Native' || ";

/** The desired retention of images in a registry, applied on a schedule. */
export const CleanupPolicySpecSchema = withRules(
  z
    .object({
      registryRef: withRules(RegistryReferenceSchema, [
        {
          rule: 'self == oldSelf',
          message: 'spec.registryRef is immutable: create a new CleanupPolicy to use another registry',
        },
      ]),
      schedule: z
        .string()
        .max(256)
        .regex(new RegExp(CRON_PATTERN), { message: 'must be a 5-field cron expression' })
        .optional()
        .describe(
          'When the policy runs, in 5-field cron syntax (minute hour day-of-month month day-of-week), e.g. ' +
            '"0 3 * * *". Required unless mode is Native.',
        ),
      timeZone: z
        .string()
        .max(64)
        .regex(new RegExp(TIME_ZONE_PATTERN))
        .default('UTC')
        .describe('The IANA time zone the schedule is read in, e.g. Europe/Berlin. Defaults to UTC.'),
      suspend: z.boolean().default(false).describe('Skip scheduled runs while true; a running run finishes.'),
      dryRun: z
        .boolean()
        .default(false)
        .describe('Only report what would be deleted (status.lastRunItems, events); delete nothing.'),
      repositories: RepositoryFilterSchema,
      rules: RetentionRulesSchema,
      maxDeletionsPerRun: z
        .number()
        .int()
        .min(1)
        .max(10_000)
        .default(DEFAULT_MAX_DELETIONS_PER_RUN)
        .describe(
          'A run stops after this many deletions and reports stoppedAtLimit, so a wrong rule cannot empty a ' +
            `registry in one go. Default ${DEFAULT_MAX_DELETIONS_PER_RUN}.`,
        ),
      garbageCollection: z
        .object({
          enabled: z
            .boolean()
            .default(false)
            .describe(
              'Start garbage collection after a run that deleted something (Selectel). On IONOS it runs on ' +
                'the registry’s spec.ionos.garbageCollection schedule; Quay collects on its own.',
            ),
        })
        .optional()
        .describe('Reclaiming the storage of deleted images.'),
      mode: z
        .enum(['Operator', 'Native'])
        .default('Operator')
        .describe(
          'Operator (default): berth evaluates the rules and deletes tags itself. Native (Quay only): the ' +
            'rules become Quay auto-prune policies and Quay prunes; no dry run, one rule and one tag pattern.',
        ),
    })
    .describe('The desired state of the cleanup policy.'),
  [
    {
      rule: "self.mode == 'Native' || has(self.schedule)",
      message: 'schedule is required unless mode is Native',
      fieldPath: '.schedule',
      check: (v) => v.mode === 'Native' || v.schedule !== undefined,
    },
    {
      rule: `${native}!self.dryRun`,
      message: 'dryRun is not available in Native mode: Quay auto-prune has no dry run',
      fieldPath: '.dryRun',
      check: (v) => v.mode !== 'Native' || !v.dryRun,
    },
    {
      rule: `${native}(has(self.rules.keepLast) != has(self.rules.olderThan))`,
      message:
        'in Native mode rules must set exactly one of keepLast and olderThan (one Quay auto-prune method)',
      fieldPath: '.rules',
      check: (v) =>
        v.mode !== 'Native' || (v.rules.keepLast !== undefined) !== (v.rules.olderThan !== undefined),
    },
    {
      rule: `${native}self.rules.untagged == 'Keep'`,
      message: 'in Native mode rules.untagged must be Keep: Quay garbage-collects untagged manifests itself',
      fieldPath: '.rules.untagged',
      check: (v) => v.mode !== 'Native' || v.rules.untagged === 'Keep',
    },
    {
      rule: `${native}((has(self.rules.keepTags) ? size(self.rules.keepTags) : 0) + (has(self.rules.tags) && has(self.rules.tags.include) ? size(self.rules.tags.include) : 0) + (has(self.rules.tags) && has(self.rules.tags.exclude) ? size(self.rules.tags.exclude) : 0)) <= 1`,
      message: 'in Native mode at most one tag pattern (keepTags, tags.include or tags.exclude) is supported',
      fieldPath: '.rules',
      check: (v) =>
        v.mode !== 'Native' ||
        (v.rules.keepTags?.length ?? 0) +
          (v.rules.tags?.include?.length ?? 0) +
          (v.rules.tags?.exclude?.length ?? 0) <=
          1,
    },
  ],
);

/** The observed state of a cleanup policy. */
export const CleanupPolicyStatusSchema = z
  .object({
    ...baseStatusShape,
    lastRunAt: timestamp('When the last run started.').optional(),
    lastHandledRunRequestAt: z
      .string()
      .max(256)
      .optional()
      .describe('The value of the berth.dev/run-requested-at annotation the last run answered.'),
    nextRunAt: timestamp('When the next run is due (unset while suspended or in Native mode).').optional(),
    lastRun: RunSummarySchema.optional(),
    lastRunItems: z
      .array(RunItemSchema)
      .max(MAX_RUN_ITEMS)
      .optional()
      .describe(`Up to ${MAX_RUN_ITEMS} items of the last run, deletions and failures first.`),
    lastGarbageCollectionAt: timestamp('When berth last started garbage collection.').optional(),
    nativePolicies: z
      .array(
        z
          .object({
            repository: z.string().max(255).describe('The repository (org/name) the policy is set on.'),
            uuid: z.string().max(64).describe('The Quay auto-prune policy UUID.'),
          })
          .describe('A Quay auto-prune policy berth created.'),
      )
      .max(256)
      .optional()
      .describe('Native mode: the Quay auto-prune policies berth owns, so it can update or remove them.'),
    registry: IssuingRegistrySchema.optional(),
  })
  .describe('The observed state of the cleanup policy.')
  // Status defaults to {observedGeneration: -1}, so kstatus reads a new object as InProgress.
  .apply(withStatusDefault);

/** A CleanupPolicy object as read from the API server. */
export const CleanupPolicySchema = customObjectSchema(
  'CleanupPolicy',
  CleanupPolicySpecSchema,
  CleanupPolicyStatusSchema,
);

/** The desired state of a CleanupPolicy. */
export type CleanupPolicySpec = z.infer<typeof CleanupPolicySpecSchema>;
/** The observed state of a CleanupPolicy. */
export type CleanupPolicyStatus = z.infer<typeof CleanupPolicyStatusSchema>;
/** A parsed CleanupPolicy (defaults applied). */
export type CleanupPolicy = z.infer<typeof CleanupPolicySchema>;

/** The CRD of CleanupPolicy. */
export const cleanupPolicyCrd: CrdDescriptor = {
  kind: 'CleanupPolicy',
  plural: 'cleanuppolicies',
  singular: 'cleanuppolicy',
  shortNames: ['cpol'],
  description:
    'Retention rules for the images of a ContainerRegistry, applied on a schedule, with dry run, a ' +
    'deletion limit per run and garbage collection.',
  spec: CleanupPolicySpecSchema,
  status: CleanupPolicyStatusSchema,
  objectRules: [],
  printerColumns: [
    { name: 'Registry', type: 'string', jsonPath: '.spec.registryRef.name' },
    { name: 'Last Run', type: 'date', jsonPath: '.status.lastRunAt' },
    futureTimeColumn('Next Run', '.status.nextRunAt', 'When the next scheduled run is due (RFC 3339).'),
    ...conditionColumns(),
  ],
};
