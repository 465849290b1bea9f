import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
  TEST_USER,
} from '../../../test/support/providers/selectel.ts';
import { createProviderFactory } from '../../clients/factory.ts';
import { type CleanupPolicy, CleanupPolicySchema } from '../../crds/cleanup-policy.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import type { SimRegistry } from '../../simulators/selectel/state.ts';
import { policyRequest } from './fake-request.ts';
import { plainImage } from './plan.fixtures.ts';
import { CleanupPolicyReconciler } from './reconcile.ts';

// Issue #12 against the Selectel simulator, which follows seed 003: an image's `createdAt` is its
// config's creation time, and cleanup by tag removes the whole image (see its fidelity tests).
// Everything runs through the reconciler, the planner and the Selectel adapter.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let bed: SelectelTestBed;
let reg: SimRegistry;

beforeAll(async () => {
  bed = await startSelectelTestBed();
});
afterAll(() => bed?.stop());
beforeEach(() => {
  bed.sim.state.registries.clear();
  reg = bed.sim.addRegistry(TEST_PROJECT, 'shop');
});

function containerRegistry(): ContainerRegistry {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'ContainerRegistry',
    metadata: { name: 'shop', namespace: 'ns' },
    spec: {
      provider: 'selectel',
      credentialsRef: { name: 'creds' },
      selectel: {
        projectId: TEST_PROJECT,
        apiEndpoint: bed.sim.apiEndpoint,
        identityEndpoint: bed.sim.identityEndpoint,
      },
      deletionPolicy: 'Retain',
      adoptionPolicy: 'Never',
      allowedNamespaces: { from: 'Same' },
      observeInterval: '10m',
    },
    status: {
      externalId: reg.id,
      server: bed.sim.registryHost,
      registryName: 'shop',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Succeeded',
          message: '',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
  } as unknown as ContainerRegistry;
}

function policy(spec: { dryRun: boolean; rules: Record<string, unknown> }, request: string): CleanupPolicy {
  return CleanupPolicySchema.parse({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'CleanupPolicy',
    metadata: {
      name: 'p',
      namespace: 'ns',
      uid: 'u-1',
      generation: 1,
      creationTimestamp: new Date(bed.sim.state.now()).toISOString(),
      annotations: { 'berth.dev/run-requested-at': request },
    },
    spec: {
      registryRef: { name: 'shop' },
      schedule: '0 3 * * *',
      repositories: { include: ['**'] },
      ...spec,
    },
  });
}

/** Asks for one run of the policy now, at the simulator's clock; resolves the status it wrote. */
async function runOnce(object: CleanupPolicy, status: Record<string, unknown> = {}) {
  const reconciler = new CleanupPolicyReconciler({
    providers: createProviderFactory({ registryHost: bed.sim.registryHost }),
    readCredentials: async () => ({
      username: TEST_USER.username,
      password: TEST_USER.password,
      accountId: TEST_USER.accountId,
    }),
    getRegistry: async () => containerRegistry(),
    namespaceLabels: async () => ({}),
    oci: () => ({
      deleteManifest: async () => 'deleted' as const,
      exists: async () => false,
      facts: plainImage,
    }),
  });
  const request = policyRequest<CleanupPolicy>(object, status, () => bed.sim.state.now());
  await reconciler.reconcile(request);
  return status as {
    lastRun?: { deleted: number; kept: number; failed: number };
    lastRunItems?: { repository: string; tag?: string; action: string; reason: string }[];
  };
}

/** `repository:tag` of every tag the API lists now. */
async function listedTags(): Promise<string[]> {
  const provider = bed.provider();
  const registry = {
    externalId: reg.id,
    name: 'shop',
    server: bed.sim.registryHost,
    desired: {
      provider: 'selectel' as const,
      name: 'shop',
      settings: { name: 'shop', projectId: TEST_PROJECT },
    },
  };
  const out: string[] = [];
  for await (const repository of provider.images.listRepositories(registry))
    for await (const a of provider.images.listArtifacts(registry, repository))
      for (const tag of a.tags) out.push(`${repository}:${tag}`);
  return out.sort();
}

describe('CleanupPolicy on Selectel (issue #12)', () => {
  it('Selectel push time: images whose config says 1970-01-01 or 0001-01-01 survive olderThan: 720h right after their push', async () => {
    const now = new Date(bed.sim.state.now());
    // Reproducible builds: Jib and ko write the epoch, Go's zero time is 0001-01-01.
    bed.sim.addImage(reg.id, 'fresh', {
      tags: ['jib'],
      pushedAt: now,
      createdAt: new Date('1970-01-01T00:00:00Z'),
    });
    bed.sim.addImage(reg.id, 'fresh', {
      tags: ['go'],
      pushedAt: now,
      createdAt: new Date('0001-01-01T00:00:00Z'),
    });
    // The rule does run: an image pushed 40 days ago, in a repository untouched since, goes.
    bed.sim.addImage(reg.id, 'stale', {
      tags: ['old'],
      pushedAt: new Date(now.getTime() - 40 * DAY),
      createdAt: new Date('1970-01-01T00:00:00Z'),
    });
    bed.sim.advance(60_000); // a minute after the push

    const status = await runOnce(policy({ dryRun: false, rules: { olderThan: '720h' } }, now.toISOString()));

    expect(await listedTags()).toEqual(['fresh:go', 'fresh:jib']);
    expect(status.lastRun).toMatchObject({ deleted: 1, failed: 0 });
    // Keeps are listed newest first: 1970 ranks after 0001.
    expect(status.lastRunItems?.filter((i) => i.repository === 'fresh')).toEqual([
      expect.objectContaining({ tag: 'jib', action: 'Kept', reason: 'younger than olderThan 720h' }),
      expect.objectContaining({ tag: 'go', action: 'Kept', reason: 'younger than olderThan 720h' }),
    ]);
  });

  it('Selectel tag-only deletion: a tag whose digest also carries a kept tag is kept, and the kept tag still lists', async () => {
    const pushedAt = new Date(bed.sim.state.now() - 40 * DAY);
    const both = bed.sim.addImage(reg.id, 'app', { tags: ['old', 'latest'], pushedAt });
    bed.sim.addImage(reg.id, 'app', { tags: ['v1'], pushedAt });
    const rules = { olderThan: '720h', keepTags: ['latest'] };
    const reason = 'digest also carries kept tag latest; Selectel may delete the image, not only the tag';
    const kept = { repository: 'app', tag: 'old', digest: both.digest, action: 'Kept', reason };

    // The dry run already says what the real run will do.
    const dry = await runOnce(policy({ dryRun: true, rules }, 'dry'));
    expect(dry.lastRunItems).toContainEqual(kept);
    expect(dry.lastRun).toMatchObject({ deleted: 1 });

    const real = await runOnce(policy({ dryRun: false, rules }, 'real'));
    expect(real.lastRunItems).toContainEqual(kept);
    expect(real.lastRun).toMatchObject({ deleted: 1, failed: 0 });
    expect(await listedTags()).toEqual(['app:latest', 'app:old']);
  });
});
