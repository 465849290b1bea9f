import type { V1CustomResourceColumnDefinition } from '@kubernetes/client-node';
import type { z } from 'zod';
import type { CelRule, KubernetesValidation } from './cel.ts';
import { GROUP, VERSION } from './object.ts';
import { type JsonSchema, toStructuralSchema } from './openapi.ts';

/** The category every berth kind joins, so `kubectl get berth` lists them all. */
export const CATEGORY = 'berth';

/** Everything that distinguishes one berth CRD from another. */
export interface CrdDescriptor {
  /** CamelCase kind, e.g. `RegistryToken`. */
  kind: string;
  /** Lower-case plural, the resource name in URLs, e.g. `registrytokens`. */
  plural: string;
  singular: string;
  shortNames: string[];
  /** What the kind is, for `kubectl explain <kind>`. */
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  /** Rules over the whole object (they see metadata.name), placed at the schema root. */
  objectRules: readonly CelRule<never>[];
  printerColumns: V1CustomResourceColumnDefinition[];
}

/** `<plural>.berth.dev`, the CRD's own name. */
export function crdName(descriptor: CrdDescriptor): string {
  return `${descriptor.plural}.${GROUP}`;
}

/** The root schema: the Kubernetes envelope around the generated spec and status. */
function rootSchema(descriptor: CrdDescriptor): JsonSchema {
  const validations: KubernetesValidation[] = descriptor.objectRules.map(({ rule, message, fieldPath }) =>
    fieldPath === undefined ? { rule, message } : { rule, message, fieldPath },
  );
  return {
    description: descriptor.description,
    type: 'object',
    properties: {
      apiVersion: {
        description: 'APIVersion defines the versioned schema of this representation of an object.',
        type: 'string',
      },
      kind: {
        description: 'Kind is a string value representing the REST resource this object represents.',
        type: 'string',
      },
      metadata: { type: 'object' },
      spec: toStructuralSchema(descriptor.spec),
      status: toStructuralSchema(descriptor.status),
    },
    required: ['spec'],
    ...(validations.length > 0 ? { 'x-kubernetes-validations': validations } : {}),
  };
}

/**
 * A CustomResourceDefinition in wire format (JSON keys as the API server spells them: `enum`,
 * `default`, `x-kubernetes-validations`). Not client-node's V1CustomResourceDefinition model, whose
 * serializer expects `_enum`, `_default`, `xKubernetesValidations` and drops the wire keys: to send
 * it through client-node's typed APIs, convert it with `loadYaml(renderCrd(d))` first.
 */
export interface CrdManifest {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced';
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: V1CustomResourceColumnDefinition[];
      schema: { openAPIV3Schema: JsonSchema };
    }[];
  };
}

/** Builds the CustomResourceDefinition of a berth kind: namespaced, one version, status subresource. */
export function buildCrd(descriptor: CrdDescriptor): CrdManifest {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: crdName(descriptor),
      labels: { 'app.kubernetes.io/name': 'berth', 'app.kubernetes.io/part-of': 'berth' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: descriptor.kind,
        listKind: `${descriptor.kind}List`,
        plural: descriptor.plural,
        singular: descriptor.singular,
        shortNames: descriptor.shortNames,
        categories: [CATEGORY],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: descriptor.printerColumns,
          schema: { openAPIV3Schema: rootSchema(descriptor) },
        },
      ],
    },
  };
}
