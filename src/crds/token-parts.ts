import { z } from 'zod';
import { withRules } from './cel.ts';
import { AnnotationsSchema, LabelSelectorSchema, LabelsSchema, namespaceName, objectName } from './common.ts';

/**
 * A repository name (segments of lower-case alphanumerics joined by `.`, `_`, `-`, separated by
 * `/`), optionally ending in `/*` for everything below it, or `*` for the whole registry.
 */
export const REPOSITORY_PATTERN = /^(\*|[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*(\/\*)?)$/;

/** The label berth puts on everything it generates; users may not set it. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

/** One grant: a repository pattern and what may be done there. */
export const ScopeSchema = z
  .object({
    repository: z
      .string()
      .min(1)
      .max(255)
      .regex(REPOSITORY_PATTERN)
      .describe(
        'A repository (shop/api), everything below a path (shop/*) or the whole registry (*). ' +
          'Selectel tokens are registry-wide, so only * is accepted there. Quay grants apply per repository.',
      ),
    actions: z
      .array(z.enum(['pull', 'push', 'delete']).describe('pull, push or delete.'))
      .min(1)
      .max(3)
      .meta({ 'x-kubernetes-list-type': 'set' })
      .describe(
        'What the credential may do: pull, push, delete. Selectel and Quay cannot separate push from ' +
          'delete, so either grants both there.',
      ),
  })
  .describe('Access to repositories matching a pattern.');

/** The Secret the credential is written into. */
export const SecretTemplateSchema = withRules(
  z
    .object({
      name: objectName('Name of the Secret; defaults to the RegistryToken’s name.').optional(),
      labels: LabelsSchema.optional(),
      annotations: AnnotationsSchema.optional(),
    })
    .describe(
      'The kubernetes.io/dockerconfigjson Secret berth writes (and its copies). It is owned by the ' +
        'RegistryToken and labelled app.kubernetes.io/managed-by: berth.',
    ),
  [
    {
      rule: `!has(self.labels) || !('${MANAGED_BY_LABEL}' in self.labels)`,
      message: `labels may not set ${MANAGED_BY_LABEL}; berth sets it to mark what it manages`,
      fieldPath: '.labels',
      check: (v) => v.labels === undefined || !(MANAGED_BY_LABEL in v.labels),
    },
  ],
);

/** Where copies of the Secret go and which ServiceAccounts use it. */
export const DistributeSchema = withRules(
  z
    .object({
      namespaces: z
        .array(namespaceName('A namespace name.'))
        .max(256)
        .meta({ 'x-kubernetes-list-type': 'set' })
        .optional()
        .describe('Namespaces that get a copy of the Secret.'),
      namespaceSelector: LabelSelectorSchema.optional().describe(
        'Namespaces whose labels match get a copy of the Secret, including ones created later.',
      ),
      serviceAccounts: z
        .array(objectName('A ServiceAccount name.'))
        .max(32)
        .meta({ 'x-kubernetes-list-type': 'set' })
        .optional()
        .describe(
          'ServiceAccounts, in this namespace and in every target namespace, to which the Secret is added ' +
            'as an imagePullSecret. berth only appends; it never removes other entries.',
        ),
    })
    .describe(
      'Copies of the Secret in other namespaces and imagePullSecrets on ServiceAccounts. Target namespaces ' +
        'must also be admitted by the registry’s allowedNamespaces.',
    ),
  [
    {
      rule: 'has(self.namespaces) || has(self.namespaceSelector) || has(self.serviceAccounts)',
      message: 'distribute must set namespaces, namespaceSelector or serviceAccounts',
      check: (v) =>
        v.namespaces !== undefined || v.namespaceSelector !== undefined || v.serviceAccounts !== undefined,
    },
  ],
);
