import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { CleanupPolicySchema } from './cleanup-policy.ts';
import { ContainerRegistrySchema } from './container-registry.ts';
import { RegistryTokenSchema } from './registry-token.ts';

const examplesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');

const schemas: Record<string, z.ZodType> = {
  ContainerRegistry: ContainerRegistrySchema,
  RegistryToken: RegistryTokenSchema,
  CleanupPolicy: CleanupPolicySchema,
};

/** An object as the API server returns it: namespaced, with server-set metadata. */
function fromServer(kind: string, spec: unknown, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind,
    metadata: {
      name: 'shop',
      namespace: 'platform',
      uid: '6f1c2a8e-0d1b-4c41-9c55-6f0e8d3c1a2b',
      generation: 3,
      resourceVersion: '4711',
      creationTimestamp: '2026-11-22T04:41:00Z',
      managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
      finalizers: ['berth.dev/finalizer'],
    },
    spec,
    ...extra,
  };
}

const ionosSpec = { provider: 'ionos', credentialsRef: { name: 'ionos-api' }, ionos: { location: 'de/fra' } };
const tokenSpec = { registryRef: { name: 'shop' }, scopes: [{ repository: 'shop/*', actions: ['pull'] }] };
const policySpec = {
  registryRef: { name: 'shop' },
  schedule: '0 3 * * *',
  repositories: { include: ['shop/*'] },
  rules: { keepLast: 10 },
};

/** The first issue path of a failed parse, dotted like the API server's field paths. */
function failurePath(schema: z.ZodType, value: unknown): string {
  const result = schema.safeParse(value);
  expect(result.success).toBe(false);
  return result.error?.issues[0]?.path.join('.') ?? '';
}

describe('examples/', () => {
  const files = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml'));
  const docs = files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(examplesDir, file), 'utf8')).map((d) => [file, d.toJS()] as const),
  );

  it.each(docs.filter(([, doc]) => doc.kind in schemas))('%s: %s parses', (_file, doc) => {
    const object = { ...doc, metadata: { ...doc.metadata, namespace: 'examples' } };
    const result = (schemas[doc.kind] as z.ZodType).safeParse(object);
    expect(result.error?.issues ?? []).toEqual([]);
  });
});

describe('defaults', () => {
  it('fills a minimal ContainerRegistry as the API server would', () => {
    const parsed = ContainerRegistrySchema.parse(fromServer('ContainerRegistry', ionosSpec));
    expect(parsed.spec).toMatchObject({
      deletionPolicy: 'Retain',
      adoptionPolicy: 'Never',
      allowedNamespaces: { from: 'Same' },
      observeInterval: '10m',
      ionos: { location: 'de/fra', vulnerabilityScanning: false },
    });
  });

  it('fills a minimal RegistryToken', () => {
    const parsed = RegistryTokenSchema.parse(fromServer('RegistryToken', tokenSpec));
    expect(parsed.spec).toMatchObject({
      lifetime: '720h',
      renewal: 'Rotate',
      gracePeriod: '10m',
      deletionPolicy: 'Revoke',
    });
    expect(parsed.spec.renewBefore).toBeUndefined();
  });

  it('fills a minimal CleanupPolicy with safe values', () => {
    const parsed = CleanupPolicySchema.parse(fromServer('CleanupPolicy', policySpec));
    expect(parsed.spec).toMatchObject({
      timeZone: 'UTC',
      suspend: false,
      dryRun: false,
      maxDeletionsPerRun: 100,
      mode: 'Operator',
      rules: { keepLast: 10, untagged: 'Keep', minAge: '1h' },
    });
  });
});

describe('objects from the API server', () => {
  it('keeps unknown metadata and parses status with conditions', () => {
    const status = {
      observedGeneration: 3,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          observedGeneration: 3,
          lastTransitionTime: '2026-11-22T04:42:00Z',
          reason: 'Succeeded',
          message: '',
        },
      ],
      expiresAt: '2026-12-22T04:42:00Z',
      pendingRevocations: [{ credentialId: 'a1b2', revokeAfter: '2026-11-22T04:52:00Z' }],
    };
    const parsed = RegistryTokenSchema.parse(fromServer('RegistryToken', tokenSpec, { status }));
    expect(parsed.metadata.managedFields).toEqual([{ manager: 'kubectl', operation: 'Apply' }]);
    expect(parsed.status?.conditions?.[0]?.reason).toBe('Succeeded');
  });

  it('accepts Date timestamps, as client-node may deliver them', () => {
    const object = fromServer('ContainerRegistry', ionosSpec);
    const withDate = { ...object, metadata: { ...object.metadata, deletionTimestamp: new Date() } };
    expect(ContainerRegistrySchema.safeParse(withDate).success).toBe(true);
  });
});

describe('a failed parse names the field', () => {
  it.each([
    [
      'renewBefore not shorter than lifetime',
      { ...tokenSpec, lifetime: '24h', renewBefore: '24h' },
      'spec.renewBefore',
    ],
    ['rotateEvery with Extend', { ...tokenSpec, renewal: 'Extend', rotateEvery: '720h' }, 'spec.rotateEvery'],
    ['a malformed duration', { ...tokenSpec, gracePeriod: '10 minutes' }, 'spec.gracePeriod'],
    ['a lifetime under an hour', { ...tokenSpec, lifetime: '30m' }, 'spec.lifetime'],
    ['no scopes', { ...tokenSpec, scopes: [] }, 'spec.scopes'],
  ])('RegistryToken: %s', (_what, spec, path) => {
    expect(failurePath(RegistryTokenSchema, fromServer('RegistryToken', spec))).toBe(path);
  });

  it.each([
    ['a missing provider block', { ...ionosSpec, ionos: undefined }, 'spec.ionos'],
    ['a second provider block', { ...ionosSpec, quay: { organization: 'acme' } }, 'spec.quay'],
    ['a bad location', { ...ionosSpec, ionos: { location: 'Frankfurt' } }, 'spec.ionos.location'],
  ])('ContainerRegistry: %s', (_what, spec, path) => {
    expect(failurePath(ContainerRegistrySchema, fromServer('ContainerRegistry', spec))).toBe(path);
  });

  it.each([
    ['a 6-field cron', { ...policySpec, schedule: '0 0 3 * * *' }, 'spec.schedule'],
    ['minute 60', { ...policySpec, schedule: '60 3 * * *' }, 'spec.schedule'],
    ['a time zone offset', { ...policySpec, timeZone: '+02:00' }, 'spec.timeZone'],
    ['rules that keep nothing', { ...policySpec, rules: { untagged: 'Delete' } }, 'spec.rules'],
    ['a dry run in Native mode', { ...policySpec, mode: 'Native', dryRun: true }, 'spec.dryRun'],
  ])('CleanupPolicy: %s', (_what, spec, path) => {
    expect(failurePath(CleanupPolicySchema, fromServer('CleanupPolicy', spec))).toBe(path);
  });

  it('checks the registry name that defaults to metadata.name', () => {
    const object = fromServer('ContainerRegistry', {
      provider: 'selectel',
      credentialsRef: { name: 'selectel-api' },
      selectel: { projectId: '0123456789abcdef0123456789abcdef' },
    });
    const long = { ...object, metadata: { ...object.metadata, name: 'a-name-longer-than-twenty' } };
    expect(failurePath(ContainerRegistrySchema, long)).toBe('spec.selectel');
  });
});
