import { z } from 'zod';
import { withRules } from './cel.ts';
import { LabelSelectorSchema, namespaceName } from './common.ts';
import { duration } from './duration.ts';

/** The placeholder a grant's repository patterns may use for the requesting namespace's name. */
export const NAMESPACE_PLACEHOLDER = '{namespace}';

/** One path segment of a grant pattern: lower-case alphanumerics or the placeholder, joined by . _ - */
const SEGMENT = '([a-z0-9]+|\\{namespace\\})([._-]([a-z0-9]+|\\{namespace\\}))*';

/**
 * A grant's repository pattern: the RegistryToken scope syntax (`shop/api`, `shop/*` for
 * everything below a path, `*` for the whole registry) where any segment may contain
 * `{namespace}`, replaced by the name of the namespace that asks.
 */
export const GRANT_PATTERN = new RegExp(`^(\\*|${SEGMENT}(/${SEGMENT})*(/\\*)?)$`);

/** The default a grant gives when it names no repositories: the team's own path. */
export const DEFAULT_GRANT_REPOSITORIES = [`${NAMESPACE_PLACEHOLDER}/*`];

/** The default maximum lifetime of a credential issued under a grant. */
export const DEFAULT_GRANT_MAX_LIFETIME = '720h';

const repositoryPatterns = (description: string) =>
  z
    .array(
      z
        .string()
        .min(1)
        .max(255)
        .regex(GRANT_PATTERN, {
          message: 'must be a repository pattern such as {namespace}/*, shared/base or *',
        })
        .describe('A repository pattern; {namespace} stands for the asking namespace.'),
    )
    .min(1)
    .max(32)
    .meta({ 'x-kubernetes-list-type': 'set' })
    .describe(description);

/** Which of the admitted namespaces a grant applies to. */
const GrantNamespacesSchema = withRules(
  z
    .object({
      names: z
        .array(namespaceName('A namespace name.'))
        .max(256)
        .meta({ 'x-kubernetes-list-type': 'set' })
        .optional()
        .describe('Namespaces the grant applies to, by name.'),
      selector: LabelSelectorSchema.optional().describe(
        'Namespaces whose labels match this selector; an empty selector matches every admitted namespace.',
      ),
    })
    .describe(
      'The namespaces this grant applies to (names or selector, either matching is enough), among those ' +
        'spec.allowedNamespaces admits. Unset: every admitted namespace.',
    ),
  [
    {
      rule: 'has(self.names) || has(self.selector)',
      message: 'namespaces must set names or selector',
      check: (v) => v.names !== undefined || v.selector !== undefined,
    },
  ],
);

/** What CleanupPolicies of the granted namespaces may do. */
const CleanupGrantSchema = z
  .object({
    repositories: repositoryPatterns(
      'Repositories CleanupPolicies may cover: each repositories.include pattern of a policy must lie ' +
        'within one of these (default {namespace}/*).',
    ).default(DEFAULT_GRANT_REPOSITORIES),
    native: z
      .boolean()
      .default(false)
      .describe(
        'Whether mode: Native is allowed (Quay auto-prune policies that prune by themselves, without ' +
          'maxDeletionsPerRun). Default false.',
      ),
    maxDeletionsPerRun: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(100)
      .describe('The largest spec.maxDeletionsPerRun a policy may set. Default 100.'),
    runsPerHour: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(2)
      .describe(
        'How often a policy may run: its schedule may not fire more often in any hour, and runs on ' +
          'request beyond this are throttled. Default 2.',
      ),
  })
  .describe('What CleanupPolicies may do. Unset: CleanupPolicies of these namespaces are refused.');

/** One grant: what some admitted namespaces may do with this registry. */
export const GrantSchema = z
  .object({
    namespaces: GrantNamespacesSchema.optional(),
    repositories: repositoryPatterns(
      'Repositories RegistryTokens may name in spec.scopes: each scope must lie within one of these ' +
        '(default {namespace}/*).',
    ).default(DEFAULT_GRANT_REPOSITORIES),
    actions: z
      .array(z.enum(['pull', 'push', 'delete']).describe('pull, push or delete.'))
      .min(1)
      .max(3)
      .meta({ 'x-kubernetes-list-type': 'set' })
      .default(['pull'])
      .describe(
        'Actions RegistryTokens may ask for (default pull). Selectel and Quay cannot separate push from ' +
          'delete, so there a scope with either needs both granted.',
      ),
    maxLifetime: duration(
      'The longest a credential may live: spec.lifetime, or on Quay, whose robots never expire, ' +
        'spec.rotateEvery (default 720h).',
      { min: '1h', max: '87600h' },
    ).default(DEFAULT_GRANT_MAX_LIFETIME),
    allowRetain: z
      .boolean()
      .default(false)
      .describe(
        'Whether RegistryTokens may set deletionPolicy: Retain, which leaves the credential live at the ' +
          'provider after the token is deleted. Default false.',
      ),
    cleanup: CleanupGrantSchema.optional(),
  })
  .describe('What some of the admitted namespaces may do with this registry.');

/** The grants of a registry. */
export const GrantsSchema = z
  .array(GrantSchema)
  .max(32)
  .describe(
    'What namespaces other than the registry’s own may do, once spec.allowedNamespaces admits them. A ' +
      'RegistryToken or CleanupPolicy asking for more than the grants that apply to its namespace is ' +
      'Stalled before anything reaches the provider. Unset: one grant of pull on {namespace}/* for up to ' +
      '720h, no Retain, no CleanupPolicies. The registry’s own namespace is never restricted.',
  );

/** A grant, parsed (defaults applied). */
export type Grant = z.infer<typeof GrantSchema>;
/** The cleanup part of a grant, parsed. */
export type CleanupGrant = z.infer<typeof CleanupGrantSchema>;
