import { z } from 'zod';
import { withRules } from './cel.ts';

/** A DNS-1123 label: namespace names and the like. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 subdomain: most object names (Secrets, ServiceAccounts, berth objects). */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label or annotation key: optional DNS prefix and `/`, then a name of up to 63 characters. */
export const QUALIFIED_NAME =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$';

/** A label value: empty, or up to 63 alphanumerics with `-`, `_`, `.` inside. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A namespace name. */
export function namespaceName(description: string): z.ZodString {
  return z.string().min(1).max(63).regex(DNS_LABEL).describe(description);
}

/** A name of an object in a namespace. */
export function objectName(description: string): z.ZodString {
  return z.string().min(1).max(253).regex(DNS_SUBDOMAIN).describe(description);
}

/** A reference to an object in the same namespace, by name. */
export const LocalObjectReferenceSchema = z
  .object({ name: objectName('Name of the referenced object, in the same namespace.') })
  .describe('A reference to an object in the same namespace.');

/** A reference to a ContainerRegistry, in the same namespace unless `namespace` is set. */
export const RegistryReferenceSchema = z
  .object({
    name: objectName('Name of the ContainerRegistry.'),
    namespace: namespaceName(
      'Namespace of the ContainerRegistry; defaults to this object’s namespace. Another namespace ' +
        'works only if the registry’s spec.allowedNamespaces admits this one.',
    ).optional(),
  })
  .describe('The ContainerRegistry this object uses.');

/**
 * The ContainerRegistry something was created at, as recorded in status: revocation and removal go
 * there, and nowhere else, even if the registry is later replaced by another of the same name.
 */
export const IssuingRegistrySchema = z
  .object({
    namespace: namespaceName('Namespace of the ContainerRegistry.'),
    name: objectName('Name of the ContainerRegistry.'),
    uid: z.string().max(64).optional().describe('UID of the ContainerRegistry object.'),
    provider: z.string().max(32).optional().describe('The provider: ionos, selectel or quay.'),
    externalId: z
      .string()
      .max(256)
      .optional()
      .describe('The provider’s ID of the registry (Quay: the organization).'),
  })
  .describe(
    'The ContainerRegistry berth created the provider objects at (credentials, auto-prune policies); ' +
      'they are removed there and nowhere else.',
  );

/** Labels for generated objects: keys and values checked as the API server would check them. */
export const LabelsSchema = withRules(
  z
    .record(
      z.string(),
      z.string().max(63).regex(LABEL_VALUE).describe('A label value: at most 63 characters.'),
    )
    .meta({ maxProperties: 64 })
    .describe('Labels to set on the generated objects.'),
  [
    {
      rule: `self.all(k, size(k) <= 317 && k.matches(r'${QUALIFIED_NAME}'))`,
      message: 'label keys must be qualified names such as example.com/team',
      check: (v) => Object.keys(v).every((k) => k.length <= 317 && new RegExp(QUALIFIED_NAME).test(k)),
    },
  ],
);

/**
 * Annotations for generated objects: at most 32 of up to 1 KiB each. The spec is held in the
 * operator's cache for every RegistryToken, so its size is what a tenant can make berth hold per
 * object (issue 18); 32 KiB is far beyond what pull-secret annotations need.
 */
export const AnnotationsSchema = withRules(
  z
    .record(z.string(), z.string().max(1024).describe('An annotation value, at most 1 KiB.'))
    .meta({ maxProperties: 32 })
    .describe('Annotations to set on the generated objects.'),
  [
    {
      rule: `self.all(k, size(k) <= 317 && k.matches(r'${QUALIFIED_NAME}'))`,
      message: 'annotation keys must be qualified names such as example.com/owner',
      check: (v) => Object.keys(v).every((k) => k.length <= 317 && new RegExp(QUALIFIED_NAME).test(k)),
    },
  ],
);

const SelectorRequirementSchema = withRules(
  z
    .object({
      key: z.string().min(1).max(317).describe('The label key the requirement applies to.'),
      operator: z
        .enum(['In', 'NotIn', 'Exists', 'DoesNotExist'])
        .describe('How the key relates to the values: In, NotIn, Exists or DoesNotExist.'),
      values: z
        .array(z.string().max(63).describe('A label value.'))
        .max(64)
        .optional()
        .describe('Values for In and NotIn (at least one); empty for Exists and DoesNotExist.'),
    })
    .describe('A label selector requirement.'),
  [
    {
      rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
      message: 'values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist',
      fieldPath: '.values',
      check: (v) =>
        v.operator === 'In' || v.operator === 'NotIn'
          ? (v.values?.length ?? 0) > 0
          : (v.values?.length ?? 0) === 0,
    },
  ],
);

/** A metav1.LabelSelector; an empty selector matches everything. */
export const LabelSelectorSchema = z
  .object({
    matchLabels: z
      .record(z.string(), z.string().max(63).describe('A label value.'))
      .meta({ maxProperties: 64 })
      .optional()
      .describe('Labels that must all match exactly.'),
    matchExpressions: z
      .array(SelectorRequirementSchema)
      .max(32)
      .optional()
      .describe('Requirements that must all hold.'),
  })
  .describe('A label selector; an empty selector matches every object.');

/** The types the schemas above produce. */
export type LabelSelector = z.infer<typeof LabelSelectorSchema>;
/** A reference to a ContainerRegistry. */
export type RegistryReference = z.infer<typeof RegistryReferenceSchema>;
