import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { CleanupPolicySchema } from './cleanup-policy.ts';
import { ContainerRegistrySchema } from './container-registry.ts';
import { buildCrd } from './crd.ts';
import { allCrds } from './index.ts';
import { RegistryTokenSchema } from './registry-token.ts';
import { UNOBSERVED_GENERATION } from './status.ts';

const objects: [string, z.ZodType, unknown][] = [
  [
    'ContainerRegistry',
    ContainerRegistrySchema,
    { provider: 'ionos', credentialsRef: { name: 'ionos-api' }, ionos: { location: 'de/fra' } },
  ],
  [
    'RegistryToken',
    RegistryTokenSchema,
    { registryRef: { name: 'shop' }, scopes: [{ repository: '*', actions: ['pull'] }] },
  ],
  [
    'CleanupPolicy',
    CleanupPolicySchema,
    {
      registryRef: { name: 'shop' },
      schedule: '0 3 * * *',
      repositories: { include: ['shop/**'] },
      rules: { keepLast: 3 },
    },
  ],
];

/** A just-created object as the API server stores it: generation 1, no status yet. */
function created(kind: string, spec: unknown, status?: unknown) {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind,
    metadata: { name: 'shop', namespace: 'platform', generation: 1 },
    spec,
    ...(status === undefined ? {} : { status }),
  };
}

describe('status before berth’s first write', () => {
  it.each(allCrds.map((d) => [d.kind, d] as const))(
    '%s: the CRD defaults status to observedGeneration -1, so kstatus reads InProgress',
    (_kind, descriptor) => {
      const schema = buildCrd(descriptor).spec.versions[0]?.schema.openAPIV3Schema as {
        properties: {
          status: { default?: unknown; properties: { observedGeneration: { minimum?: number } } };
        };
      };
      expect(schema.properties.status.default).toEqual({ observedGeneration: -1 });
      expect(schema.properties.status.properties.observedGeneration.minimum).toBe(-1);
    },
  );

  it.each(objects)('%s: parsing applies the same default the API server does', (kind, schema, spec) => {
    const parsed = schema.parse(created(kind, spec)) as { status: { observedGeneration: number } };
    expect(parsed.status).toEqual({ observedGeneration: UNOBSERVED_GENERATION });
  });

  it.each(objects)('%s: accepts -1 and nothing below it', (kind, schema, spec) => {
    expect(schema.safeParse(created(kind, spec, { observedGeneration: -1 })).success).toBe(true);
    expect(schema.safeParse(created(kind, spec, { observedGeneration: -2 })).success).toBe(false);
  });
});
