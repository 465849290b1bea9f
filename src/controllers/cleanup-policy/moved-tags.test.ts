import { afterEach, describe, expect, it } from 'vitest';
import {
  type IonosHarness,
  seededTokenRegistry,
  startIonosHarness,
} from '../../../test/support/providers/ionos.ts';
import { type QuayHarness, startQuay } from '../../../test/support/providers/quay.ts';
import type { Images, Provider, TokenRegistry } from '../../clients/provider.ts';
import { type CleanupPolicy, CleanupPolicySchema } from '../../crds/cleanup-policy.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import type { ManifestDeleter } from './execute.ts';
import { policyRequest } from './fake-request.ts';
import { plainImage } from './plan.fixtures.ts';
import { CleanupPolicyReconciler } from './reconcile.ts';

// Issue 22 item 2: a tag moves between the plan's listing and the delete (a rollback re-tag of
// prod onto an old digest, a tag pushed again onto a new image). Whole runs through the reconciler
// against the provider simulators; the move happens right after the plan's listing is answered.

const DAY = 86_400_000;

type RunStatus = {
  lastRun?: { deleted: number; failed: number };
  lastRunItems?: { tag?: string; tags?: string[]; digest?: string; action: string; reason: string }[];
};

/** The provider, with `move` run once right after the first listing of a repository (the plan's). */
function movingAfterListing(provider: Provider, move: () => void | Promise<void>): Provider {
  const images = provider.images as Images;
  let moved = false;
  const watched: Images = Object.assign(Object.create(images) as Images, {
    listArtifacts: async function* (registry: TokenRegistry, repository: string) {
      yield* images.listArtifacts(registry, repository);
      if (!moved) {
        moved = true;
        await move();
      }
    },
  });
  return Object.assign(Object.create(provider) as Provider, { images: watched });
}

function containerRegistry(registry: TokenRegistry, settings: Record<string, unknown>): ContainerRegistry {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'ContainerRegistry',
    metadata: { name: 'shop', namespace: 'ns' },
    spec: {
      provider: registry.desired.provider,
      credentialsRef: { name: 'creds' },
      ...settings,
      deletionPolicy: 'Retain',
      adoptionPolicy: 'Never',
      allowedNamespaces: { from: 'Same' },
      observeInterval: '10m',
    },
    status: {
      externalId: registry.externalId,
      server: registry.server,
      registryName: registry.name,
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

function policy(now: number, rules: Record<string, unknown>): CleanupPolicy {
  return CleanupPolicySchema.parse({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'CleanupPolicy',
    metadata: {
      name: 'p',
      namespace: 'ns',
      uid: 'u-1',
      generation: 1,
      creationTimestamp: new Date(now - DAY).toISOString(),
      annotations: { 'berth.dev/run-requested-at': new Date(now).toISOString() },
    },
    spec: {
      registryRef: { name: 'shop' },
      schedule: '0 3 * * *',
      dryRun: false,
      repositories: { include: ['**'] },
      rules,
    },
  });
}

/** One real run of the policy at `now`; resolves the status it wrote. */
async function runOnce(
  provider: Provider,
  registry: ContainerRegistry,
  object: CleanupPolicy,
  now: number,
  oci: () => ManifestDeleter = () => ({
    deleteManifest: async () => 'deleted',
    exists: async () => false,
    facts: plainImage,
  }),
): Promise<RunStatus> {
  const reconciler = new CleanupPolicyReconciler({
    providers: () => provider,
    readCredentials: async () => ({ token: 'unused' }),
    getRegistry: async () => registry,
    namespaceLabels: async () => ({}),
    oci,
  });
  const status: Record<string, unknown> = {};
  await reconciler.reconcile(policyRequest(object, status, () => now));
  return status as RunStatus;
}

describe('a tag moved between the listing and the delete (IONOS: re-checked per digest before each OCI delete)', () => {
  let h: IonosHarness;
  afterEach(() => h?.close());

  it('keeps the old digest prod was rolled back onto, and prod still resolves to it', async () => {
    h = await startIonosHarness();
    const now = h.sim.world.now();
    const registry = seededTokenRegistry(h.sim, 'shop');
    const id = registry.externalId;
    const pushedAt = new Date(now - 40 * DAY);
    const old = h.sim.pushArtifact(id, 'app', { tags: ['v1'], pushedAt });
    const older = h.sim.pushArtifact(id, 'app', { tags: ['v0'], pushedAt });
    const current = h.sim.pushArtifact(id, 'app', { tags: ['prod'], pushedAt });
    const artifacts = () => h.sim.registry(id).repositories.get('app')?.artifacts;
    // The registry behind the OCI API: what the fake deleter removes is gone from the IONOS API too.
    const oci = (): ManifestDeleter => ({
      deleteManifest: async (_repo, digest) => (artifacts()?.delete(digest) ? 'deleted' : 'gone'),
      exists: async (_repo, digest) => artifacts()?.has(digest) ?? false,
      facts: plainImage,
    });
    const rollback = () => {
      const map = artifacts();
      map?.get(current)?.tags.splice(0);
      map?.get(old)?.tags.push('prod');
    };

    const status = await runOnce(
      movingAfterListing(h.provider, rollback),
      containerRegistry(registry, { ionos: { location: 'de/fra' } }),
      policy(now, { olderThan: '720h', keepTags: ['prod'] }),
      now,
      oci,
    );

    expect(status.lastRunItems).toContainEqual(
      expect.objectContaining({
        digest: old,
        tags: ['v1'],
        action: 'Kept',
        reason: 'tag prod was added since the listing',
      }),
    );
    expect(status.lastRunItems).toContainEqual(expect.objectContaining({ digest: older, action: 'Deleted' }));
    expect(status.lastRun).toMatchObject({ deleted: 1, failed: 0 });
    // prod resolves to the rolled-back image, which is still there with both its tags.
    expect(artifacts()?.get(old)?.tags).toEqual(['v1', 'prod']);
    expect(artifacts()?.has(older)).toBe(false);
    // Each of the two planned deletes was re-checked by itself through the IONOS API.
    const path =
      'GET /containerregistries/registries/:registryId/repositories/:repositoryName/artifacts/:digest';
    expect(h.sim.server.counts()[path]).toBe(2);
  });
});

describe('tags moved between the listing and the delete (Quay: re-checked before the batch)', () => {
  let h: QuayHarness;
  afterEach(() => h?.close());
  const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

  it('keeps a digest prod was moved onto and a tag pushed again onto a new image; both still resolve', async () => {
    let now = Date.UTC(2026, 0, 1);
    h = await startQuay({ now: () => now });
    h.sim.addOrganization('acme');
    const pushedAt = now - 40 * DAY;
    h.sim.pushTag('acme', 'app', 'v1', { digest: digest(1), pushedAt });
    h.sim.pushTag('acme', 'app', 'v0', { digest: digest(2), pushedAt });
    h.sim.pushTag('acme', 'app', 'prod', { digest: digest(3), pushedAt });
    // `latest` is kept, so `rc` alone is planned as a delete-tag on digest 4.
    h.sim.pushTag('acme', 'app', 'latest', { digest: digest(4), pushedAt });
    h.sim.pushTag('acme', 'app', 'rc', { digest: digest(4), pushedAt });
    now += 60_000;
    const moves = () => {
      h.sim.pushTag('acme', 'app', 'prod', { digest: digest(1) });
      h.sim.pushTag('acme', 'app', 'rc', { digest: digest(5) });
    };

    const status = await runOnce(
      movingAfterListing(h.provider, moves),
      containerRegistry(h.registry('acme'), { quay: h.desired('acme').settings }),
      policy(now, { olderThan: '720h', keepTags: ['prod', 'latest'] }),
      now,
    );

    expect(status.lastRunItems).toContainEqual(
      expect.objectContaining({
        digest: digest(1),
        action: 'Kept',
        reason: 'tag prod was added since the listing',
      }),
    );
    expect(status.lastRunItems).toContainEqual(
      expect.objectContaining({
        tag: 'rc',
        digest: digest(4),
        action: 'Kept',
        reason: `tag rc moved to ${digest(5)} since the listing`,
      }),
    );
    expect(status.lastRun).toMatchObject({ deleted: 1, failed: 0 });
    const active = await h.provider.api.listTags('acme', 'app', { onlyActiveTags: true });
    const resolve = (name: string) => active.tags.find((t) => t.name === name)?.manifest_digest;
    expect([resolve('prod'), resolve('v1'), resolve('rc'), resolve('latest'), resolve('v0')]).toEqual([
      digest(1),
      digest(1),
      digest(5),
      digest(4),
      undefined,
    ]);
  });
});
