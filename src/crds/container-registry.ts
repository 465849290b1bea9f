import { z } from 'zod';
import { type CelRule, immutable, withRules } from './cel.ts';
import { conditionColumns } from './columns.ts';
import { LabelSelectorSchema, LocalObjectReferenceSchema } from './common.ts';
import type { CrdDescriptor } from './crd.ts';
import { duration } from './duration.ts';
import { GrantsSchema } from './grants.ts';
import { customObjectSchema } from './object.ts';
import {
  IONOS_NAME,
  IonosRegistrySchema,
  QuaySchema,
  SELECTEL_NAME,
  SelectelRegistrySchema,
} from './providers.ts';
import { baseStatusShape, int64, timestamp, withStatusDefault } from './status.ts';

const PROVIDERS = ['ionos', 'selectel', 'quay'] as const;

/** Which namespaces may reference a registry, after Gateway API's allowedRoutes.namespaces. */
const AllowedNamespacesSchema = withRules(
  z
    .object({
      from: z
        .enum(['Same', 'All', 'Selector'])
        .default('Same')
        .describe(
          'Same: only this namespace (default). All: every namespace. Selector: namespaces matching selector.',
        ),
      selector: LabelSelectorSchema.optional().describe(
        'Namespaces whose labels match this selector may reference the registry; only with from: Selector.',
      ),
    })
    .describe(
      'Namespaces whose RegistryTokens and CleanupPolicies may use this registry, and into which tokens ' +
        'may be distributed. What they may do is spec.grants.',
    ),
  [
    {
      rule: "(self.from == 'Selector') == has(self.selector)",
      message: 'selector must be set exactly when from is Selector',
      fieldPath: '.selector',
      check: (v) => (v.from === 'Selector') === (v.selector !== undefined),
    },
  ],
);

/** One rule per provider: its block is set exactly when spec.provider names it. */
function providerBlockRule(provider: (typeof PROVIDERS)[number]): CelRule<{ provider: string }> {
  return {
    rule: `(self.provider == '${provider}') == has(self.${provider})`,
    message: `spec.${provider} must be set if and only if spec.provider is ${provider}`,
    fieldPath: `.${provider}`,
    check: (v) => (v.provider === provider) === ((v as Record<string, unknown>)[provider] !== undefined),
  };
}

/** The desired state of a registry (IONOS, Selectel) or organization (Quay) at a provider. */
export const ContainerRegistrySpecSchema = withRules(
  z
    .object({
      provider: withRules(
        z
          .enum(PROVIDERS)
          .describe('The provider that hosts the registry: ionos, selectel or quay. Immutable.'),
        [immutable('provider')],
      ),
      credentialsRef: LocalObjectReferenceSchema.describe(
        'Secret in this namespace with the provider API credentials. ionos: token (an IONOS Cloud API token) ' +
          'or username and password. selectel: username, password and accountId of a service user. ' +
          'quay: token (an OAuth token with org:admin, repo:admin and repo:create scopes, plus user:admin to ' +
          'create the organization and to see robot roles changed by hand).',
      ),
      ionos: IonosRegistrySchema.optional(),
      selectel: SelectelRegistrySchema.optional(),
      quay: QuaySchema.optional(),
      deletionPolicy: z
        .enum(['Retain', 'Delete'])
        .default('Retain')
        .describe(
          'What happens at the provider when this object is deleted. Retain (default) keeps the registry ' +
            'and its images; Delete deletes the registry (or Quay organization) with all its content.',
        ),
      adoptionPolicy: z
        .enum(['Never', 'Adopt'])
        .default('Never')
        .describe(
          'Whether an existing registry (Quay: organization) with the same name that berth did not create ' +
            'may be taken over. Never (default) reports Stalled with reason AlreadyExists; Adopt manages it.',
        ),
      allowedNamespaces: AllowedNamespacesSchema.default({ from: 'Same' }),
      grants: GrantsSchema.optional(),
      observeInterval: duration(
        'How often the registry is compared with the provider when nothing changed, and its credentials ' +
          'listed for all its RegistryTokens (one list finds those gone, disabled or expired, and orphans).',
        {
          min: '30s',
          max: '24h',
        },
      ).default('10m'),
    })
    .describe('The desired state of the registry.'),
  PROVIDERS.map(providerBlockRule),
);

/** The observed state of a registry. */
export const ContainerRegistryStatusSchema = z
  .object({
    ...baseStatusShape,
    externalId: z
      .string()
      .max(256)
      .optional()
      .describe(
        'The provider’s ID: the IONOS registry UUID, the Selectel registry ID or the Quay organization name.',
      ),
    registryName: z
      .string()
      .max(255)
      .optional()
      .describe('The registry’s (or organization’s) name at the provider.'),
    server: z
      .string()
      .max(253)
      .optional()
      .describe('The host that docker login and the .dockerconfigjson auths use, e.g. cr.selcloud.ru.'),
    endpoint: z
      .string()
      .max(512)
      .optional()
      .describe(
        'The prefix of image references in this registry, e.g. shop.cr.de-fra.ionos.com, ' +
          'cr.selcloud.ru/shop or quay.io/shop.',
      ),
    providerState: z
      .string()
      .max(64)
      .optional()
      .describe(
        'The state the provider reports, as it reports it (Running, ACTIVE, GARBAGE_COLLECTION, ...).',
      ),
    storageUsedBytes: int64(
      'Storage the registry uses, in bytes, as last reported by the provider.',
    ).optional(),
    storageLimitBytes: int64(
      'The provider’s storage quota for the registry in bytes, where there is one.',
    ).optional(),
    lastSyncTime: timestamp('When the registry was last compared with the provider successfully.').optional(),
    pendingCreateAt: timestamp(
      'Set just before a create call whose outcome may be lost; after a crash the controller looks the ' +
        'registry up by name instead of creating it again.',
    ).optional(),
  })
  .describe('The observed state of the registry.')
  // Status defaults to {observedGeneration: -1}, so kstatus reads a new object as InProgress.
  .apply(withStatusDefault);

/** Rules that need metadata.name next to the spec: the provider name defaults to it. */
export const containerRegistryObjectRules: CelRule<{
  metadata: { name: string };
  spec: z.output<typeof ContainerRegistrySpecSchema>;
}>[] = [
  {
    rule: `!has(self.spec.ionos) || has(self.spec.ionos.name) || self.metadata.name.matches('${IONOS_NAME.source}')`,
    message: 'spec.ionos.name must be set because metadata.name is not a valid IONOS registry name',
    fieldPath: '.spec.ionos',
    check: (v) =>
      v.spec.ionos === undefined || v.spec.ionos.name !== undefined || IONOS_NAME.test(v.metadata.name),
  },
  {
    rule: `!has(self.spec.selectel) || has(self.spec.selectel.name) || self.metadata.name.matches('${SELECTEL_NAME.source}')`,
    message: 'spec.selectel.name must be set because metadata.name is not a valid Selectel registry name',
    fieldPath: '.spec.selectel',
    check: (v) =>
      v.spec.selectel === undefined ||
      v.spec.selectel.name !== undefined ||
      SELECTEL_NAME.test(v.metadata.name),
  },
];

/** A ContainerRegistry object as read from the API server. */
export const ContainerRegistrySchema = withRules(
  customObjectSchema('ContainerRegistry', ContainerRegistrySpecSchema, ContainerRegistryStatusSchema),
  containerRegistryObjectRules,
);

/** The desired state of a ContainerRegistry. */
export type ContainerRegistrySpec = z.infer<typeof ContainerRegistrySpecSchema>;
/** The observed state of a ContainerRegistry. */
export type ContainerRegistryStatus = z.infer<typeof ContainerRegistryStatusSchema>;
/** A parsed ContainerRegistry (defaults applied). */
export type ContainerRegistry = z.infer<typeof ContainerRegistrySchema>;

/** The CRD of ContainerRegistry. */
export const containerRegistryCrd: CrdDescriptor = {
  kind: 'ContainerRegistry',
  plural: 'containerregistries',
  singular: 'containerregistry',
  shortNames: ['creg'],
  description:
    'A container registry (IONOS, Selectel) or organization (Quay) at a provider, created, observed and ' +
    'optionally deleted by berth.',
  spec: ContainerRegistrySpecSchema,
  status: ContainerRegistryStatusSchema,
  objectRules: containerRegistryObjectRules,
  printerColumns: [
    { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
    { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint' },
    ...conditionColumns(),
  ],
};
