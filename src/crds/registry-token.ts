import { z } from 'zod';
import { withRules } from './cel.ts';
import { conditionColumns, futureTimeColumn } from './columns.ts';
import { IssuingRegistrySchema, RegistryReferenceSchema } from './common.ts';
import type { CrdDescriptor } from './crd.ts';
import { celDurationsValid, duration, durationMs } from './duration.ts';
import { customObjectSchema } from './object.ts';
import { baseStatusShape, timestamp, withStatusDefault } from './status.ts';
import { DistributeSchema, ScopeSchema, SecretTemplateSchema } from './token-parts.ts';

/** How long a token lives when spec.lifetime is not set. */
export const DEFAULT_LIFETIME = '720h';

/** Where a credential lives at the provider: its ID, and its name where that differs. */
const CredentialShape = {
  credentialId: z
    .string()
    .max(512)
    .describe(
      'The provider’s ID of the credential: IONOS/Selectel token UUID, or the Quay robot (org+name).',
    ),
  credentialName: z.string().max(255).optional().describe('The credential’s name at the provider.'),
};

const ms = durationMs;
const valid = celDurationsValid;

/** The desired state of a scoped registry credential and the Secret it is written to. */
export const RegistryTokenSpecSchema = withRules(
  z
    .object({
      registryRef: withRules(RegistryReferenceSchema, [
        {
          rule: 'self == oldSelf',
          message: 'spec.registryRef is immutable: create a new RegistryToken to use another registry',
        },
      ]),
      scopes: z
        .array(ScopeSchema)
        .min(1)
        .max(32)
        .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['repository'] })
        .describe(
          'What the credential may do, per repository pattern. At least one scope; one entry per pattern.',
        ),
      lifetime: duration(
        'How long each credential is valid at the provider (default 720h). Ignored for Quay, whose robot ' +
          'tokens never expire; use rotateEvery there.',
        { min: '1h', max: '87600h' },
      ).default(DEFAULT_LIFETIME),
      renewBefore: duration(
        'How long before expiry the credential is renewed; must be shorter than lifetime. Default: a third ' +
          'of the lifetime.',
        { min: '1m' },
      ).optional(),
      renewal: z
        .enum(['Rotate', 'Extend'])
        .default('Rotate')
        .describe(
          'Rotate (default): issue a new credential, update the Secret, revoke the old one after gracePeriod. ' +
            'Extend: keep the credential and move its expiry (Selectel only; elsewhere Stalled with ' +
            'CapabilityNotSupported).',
        ),
      rotateEvery: duration(
        'Rotate the credential at least this often even if it does not expire (the only rotation trigger ' +
          'for Quay robots). Not allowed with renewal: Extend.',
        { min: '1h', max: '87600h' },
      ).optional(),
      gracePeriod: duration(
        'How long a replaced credential stays valid after the Secret was updated, so running pulls and ' +
          'kubelets catch up before it is revoked.',
        { max: '168h' },
      ).default('10m'),
      deletionPolicy: z
        .enum(['Revoke', 'Retain'])
        .default('Revoke')
        .describe('Revoke (default): revoke the credential at the provider on deletion. Retain: leave it.'),
      secret: SecretTemplateSchema.optional(),
      distribute: DistributeSchema.optional(),
    })
    .describe('The desired state of the token.'),
  [
    {
      rule: `!has(self.renewBefore) || !(${valid('self.renewBefore', 'self.lifetime')}) || duration(self.renewBefore) < duration(self.lifetime)`,
      message: 'renewBefore must be shorter than lifetime',
      fieldPath: '.renewBefore',
      check: (v) => v.renewBefore === undefined || ms(v.renewBefore) < ms(v.lifetime),
    },
    {
      rule: "!has(self.rotateEvery) || self.renewal != 'Extend'",
      message: 'rotateEvery cannot be combined with renewal: Extend, which keeps the same credential',
      fieldPath: '.rotateEvery',
      check: (v) => v.rotateEvery === undefined || v.renewal !== 'Extend',
    },
    {
      rule: `!has(self.rotateEvery) || !(${valid('self.gracePeriod', 'self.rotateEvery')}) || duration(self.gracePeriod) < duration(self.rotateEvery)`,
      message:
        'gracePeriod must be shorter than rotateEvery, so an old credential is revoked before the next rotation',
      fieldPath: '.gracePeriod',
      check: (v) => v.rotateEvery === undefined || ms(v.gracePeriod) < ms(v.rotateEvery),
    },
    {
      rule:
        `!(${valid('self.gracePeriod', 'self.lifetime')}) || (has(self.renewBefore) ` +
        `? (!(${valid('self.renewBefore')}) || duration(self.gracePeriod) < duration(self.renewBefore)) ` +
        ': duration(self.gracePeriod).getSeconds() * 3 < duration(self.lifetime).getSeconds())',
      message:
        'gracePeriod must be shorter than renewBefore (default a third of lifetime), or the old credential expires first',
      fieldPath: '.gracePeriod',
      check: (v) =>
        v.renewBefore === undefined
          ? ms(v.gracePeriod) * 3 < ms(v.lifetime)
          : ms(v.gracePeriod) < ms(v.renewBefore),
    },
  ],
);

/** The observed state of a token, including what must survive a crash mid-rotation. */
export const RegistryTokenStatusSchema = z
  .object({
    ...baseStatusShape,
    credentialId: CredentialShape.credentialId.optional(),
    credentialName: CredentialShape.credentialName,
    username: z
      .string()
      .max(512)
      .optional()
      .describe('The docker login user name of the current credential (not a secret).'),
    server: z.string().max(253).optional().describe('The registry host the Secret’s auths entry is for.'),
    issuedAt: timestamp('When the current credential was issued.').optional(),
    expiresAt: timestamp(
      'When the current credential expires, as granted by the provider; unset if never.',
    ).optional(),
    renewAt: timestamp('When the controller will next renew (or rotate) the credential.').optional(),
    lastRotatedAt: timestamp(
      'When a new credential last replaced the previous one in the Secret.',
    ).optional(),
    pendingRevocations: z
      .array(
        z
          .object({
            ...CredentialShape,
            revokeAfter: timestamp('When the grace period ends and the credential is revoked.'),
          })
          .describe('A replaced credential waiting for revocation.'),
      )
      .max(8)
      .optional()
      .describe('Replaced credentials that are still valid and will be revoked after their grace period.'),
    pendingIssue: z
      .object({
        credentialName: z
          .string()
          .max(255)
          .describe('The deterministic name chosen for the credential being issued.'),
        startedAt: timestamp('When the issuing call was about to be made.'),
      })
      .optional()
      .describe(
        'Recorded before a call that issues a credential whose secret cannot be read back. After a crash the ' +
          'controller finds the credential by this name and revokes it rather than issuing blindly.',
      ),
    issueResolved: z
      .string()
      .max(255)
      .optional()
      .describe(
        'The credential name of the last interrupted issue (annotation berth.dev/issuing) that berth has ' +
          'cleaned up after: adopted or revoked.',
      ),
    secretName: z
      .string()
      .max(253)
      .optional()
      .describe('The Secret in this namespace that holds the credential.'),
    registry: IssuingRegistrySchema.optional(),
    refusedAt: timestamp(
      'When the registry stopped admitting this token (namespace no longer admitted, or a grant no longer ' +
        'covering the spec). Unless it admits it again within its observeInterval, berth then revokes the ' +
        'credentials and deletes the Secret and its copies.',
    ).optional(),
    namespacesServed: z
      .array(z.string().max(63).describe('A namespace name.'))
      .max(1024)
      .optional()
      .describe('Namespaces that hold a copy of the Secret, sorted.'),
    scopesHash: z
      .string()
      .max(64)
      .optional()
      .describe('A hash of the spec.scopes the current credential was given; a different spec is applied.'),
    credentialCheckedAt: timestamp(
      'When the current credential was last seen at the provider by its token (when issued, when the ' +
        "registry's list suggested a change, and on Quay every observeInterval for its grants, sooner " +
        'while scopeProblems lasts).',
    ).optional(),
    lastRotationReason: z
      .string()
      .max(256)
      .optional()
      .describe(
        'Why the credential was last replaced: Renewal, RotationRequested, SecretDeleted, SecretModified, ' +
          'ScopesChanged, CredentialGone, CredentialDisabled or CredentialExpired.',
      ),
    scopeProblems: z
      .array(z.string().max(512).describe('One part of the scopes that could not be put in place, and why.'))
      .max(32)
      .optional()
      .describe('Parts of spec.scopes the provider could not put in place at the last check, and why.'),
    scopeProblemsSince: timestamp(
      'Since when scopeProblems is not empty: berth looks again within seconds at first, then less ' +
        'often (at most every observeInterval).',
    ).optional(),
    reachesNothing: z
      .boolean()
      .optional()
      .describe(
        'True when the credential reaches no repository of spec.scopes (e.g. pull scopes on Quay ' +
          'repositories that do not exist yet): the token is not Ready until one is granted.',
      ),
  })
  .describe('The observed state of the token.')
  // Status defaults to {observedGeneration: -1}, so kstatus reads a new object as InProgress.
  .apply(withStatusDefault);

/** A RegistryToken object as read from the API server. */
export const RegistryTokenSchema = customObjectSchema(
  'RegistryToken',
  RegistryTokenSpecSchema,
  RegistryTokenStatusSchema,
);

/** The desired state of a RegistryToken. */
export type RegistryTokenSpec = z.infer<typeof RegistryTokenSpecSchema>;
/** The observed state of a RegistryToken. */
export type RegistryTokenStatus = z.infer<typeof RegistryTokenStatusSchema>;
/** A parsed RegistryToken (defaults applied). */
export type RegistryToken = z.infer<typeof RegistryTokenSchema>;

/** The CRD of RegistryToken. */
export const registryTokenCrd: CrdDescriptor = {
  kind: 'RegistryToken',
  plural: 'registrytokens',
  singular: 'registrytoken',
  shortNames: ['rtok'],
  description:
    'A scoped credential for a ContainerRegistry, written into a kubernetes.io/dockerconfigjson Secret, ' +
    'renewed before it expires and optionally copied to other namespaces and ServiceAccounts.',
  spec: RegistryTokenSpecSchema,
  status: RegistryTokenStatusSchema,
  objectRules: [],
  printerColumns: [
    { name: 'Registry', type: 'string', jsonPath: '.spec.registryRef.name' },
    futureTimeColumn('Expires', '.status.expiresAt', 'When the current credential expires (RFC 3339).'),
    futureTimeColumn('Renews', '.status.renewAt', 'When berth renews or rotates the credential (RFC 3339).'),
    ...conditionColumns(),
  ],
};
