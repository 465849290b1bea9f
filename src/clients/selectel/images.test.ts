import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
  tokenRegistry,
} from '../../../test/support/providers/selectel.ts';
import type { SimRegistry } from '../../simulators/selectel/state.ts';
import { ConflictError, NotFoundError } from '../http/errors.ts';
import type { Artifact, TokenRegistry } from '../provider.ts';
import type { SelectelProvider } from './adapter.ts';

let bed: SelectelTestBed;
let provider: SelectelProvider;
let simRegistry: SimRegistry;
let registry: TokenRegistry;

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const cleanups = () => bed.sim.server.log.filter((e) => e.path.endsWith('/cleanup'));

beforeAll(async () => {
  bed = await startSelectelTestBed();
});
afterAll(() => bed.stop());
beforeEach(() => {
  bed.sim.state.registries.clear();
  bed.sim.server.log.length = 0;
  bed.sim.server.faults.clear();
  provider = bed.provider({ pageSize: 2 });
  simRegistry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
  registry = tokenRegistry(bed.sim, simRegistry);
});

describe('SelectelImages', () => {
  it('lists every repository across several pages, names with / included', async () => {
    for (const name of ['api', 'web', 'team/worker', 'team/cron', 'base'])
      bed.sim.addRepository(simRegistry.id, name);
    const names = await collect(provider.images.listRepositories(registry));
    expect(names.sort()).toEqual(['api', 'base', 'team/cron', 'team/worker', 'web']);
    expect(bed.sim.server.counts()['GET /api/v2/registries/:id/repositories']).toBe(3);
  });

  it('lists every image with tags, size and its latest possible push time across several pages', async () => {
    const pushedAt = new Date('2024-05-01T10:00:00Z');
    const seeded = [0, 1, 2, 3, 4].map((i) =>
      bed.sim.addImage(simRegistry.id, 'team/api', {
        tags: i === 4 ? [] : [`v${i}`],
        size: 1000 + i,
        pushedAt: new Date(pushedAt.getTime() + i * 60_000),
      }),
    );
    const artifacts = await collect(provider.images.listArtifacts(registry, 'team/api'));
    expect(artifacts).toHaveLength(5);
    // The repository's last push (4 minutes in), plus 4 ms for the newest of five config times.
    expect(artifacts[4]).toEqual<Artifact>({
      repository: 'team/api',
      digest: seeded[4]?.digest ?? '',
      tags: [],
      pushedAt: new Date(pushedAt.getTime() + 4 * 60_000 + 4),
      sizeBytes: 1004,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(artifacts[0]?.tags).toEqual(['v0']);
    // keepLast still ranks by build: later config times read as later pushes.
    const times = artifacts.map((a) => a.pushedAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(5);
    expect(bed.sim.server.counts()['GET /api/v2/registries/:id/repositories/:name+/images']).toBe(3);
    // The repository is read after the images: no listed image was pushed after its updatedAt.
    // A nested name keeps its raw `/`, as craas-go sends it.
    expect(bed.sim.server.log.at(-1)?.path).toMatch(/\/v1\/registries\/[^/]+\/repositories\/team\/api$/);
  });

  it('never reads a 1970 or 0001 config time as the push time', async () => {
    const pushedAt = new Date(bed.sim.state.now());
    for (const [tag, createdAt] of [
      ['jib', '1970-01-01T00:00:00Z'],
      ['go', '0001-01-01T00:00:00Z'],
    ] as const)
      bed.sim.addImage(simRegistry.id, 'app', { tags: [tag], pushedAt, createdAt: new Date(createdAt) });
    const artifacts = await collect(provider.images.listArtifacts(registry, 'app'));
    for (const a of artifacts)
      expect(a.pushedAt.getTime()).toBeGreaterThanOrEqual(Math.floor(pushedAt.getTime() / 1000) * 1000);
  });

  it('answers NotFoundError for an unknown repository', async () => {
    await expect(collect(provider.images.listArtifacts(registry, 'missing'))).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('deletes digests, reporting the refused ones from the failed list', async () => {
    const plain = bed.sim.addImage(simRegistry.id, 'api', { tags: ['a'] });
    const locked = bed.sim.addImage(simRegistry.id, 'api', {
      tags: ['b'],
      lockedBy: 'Image is referenced by another manifest',
    });
    const result = await provider.images.deleteDigests?.(registry, 'api', [plain.digest, locked.digest]);
    expect(result).toEqual({ failed: [locked.digest], gone: [] });
    expect(
      bed.sim
        .registry(simRegistry.id)
        ?.repositories.get('api')
        ?.images.map((i) => i.digest),
    ).toEqual([locked.digest]);
    // Idempotent: deleting the same digest again is no failure, but it is gone, not deleted.
    expect(await provider.images.deleteDigests?.(registry, 'api', [plain.digest])).toEqual({
      failed: [],
      gone: [plain.digest],
    });
    expect(cleanups()).toHaveLength(2);
  });

  it('splits large deletions into batches of 50', async () => {
    const digests = Array.from(
      { length: 120 },
      (_, i) => bed.sim.addImage(simRegistry.id, 'api', { tags: [`t${i}`] }).digest,
    );
    expect(await provider.images.deleteDigests?.(registry, 'api', digests)).toEqual({ failed: [], gone: [] });
    expect(cleanups()).toHaveLength(3);
  });

  it('answers ConflictError to deletions while garbage collection runs', async () => {
    const image = bed.sim.addImage(simRegistry.id, 'api', { tags: ['a'] });
    expect(await provider.garbageCollection.start(registry)).toBe(true);
    await expect(provider.images.deleteDigests(registry, 'api', [image.digest])).rejects.toBeInstanceOf(
      ConflictError,
    );
  });
});

describe('SelectelGarbageCollection', () => {
  it('starts a collection, and resolves false while one is running (409)', async () => {
    expect(await provider.garbageCollection.start(registry)).toBe(true);
    expect(bed.sim.registry(simRegistry.id)?.status).toBe('GARBAGE_COLLECTION');
    expect(await provider.garbageCollection.start(registry)).toBe(false);
    bed.sim.advance(60);
    expect(bed.sim.registry(simRegistry.id)?.status).toBe('ACTIVE');
    expect(await provider.garbageCollection.start(registry)).toBe(true);
  });

  it('reports reclaimable bytes: deleted layers plus untagged images', async () => {
    const image = bed.sim.addImage(simRegistry.id, 'api', { tags: ['a'], size: 5000 });
    bed.sim.addImage(simRegistry.id, 'api', { tags: [], size: 700 });
    expect(await provider.garbageCollection.reclaimableBytes(registry)).toBe(700);
    await provider.images.deleteDigests(registry, 'api', [image.digest]);
    expect(await provider.garbageCollection.reclaimableBytes(registry)).toBe(5700);
    expect(await provider.api.getGarbageCollectionSize(simRegistry.id)).toEqual({
      sizeNonReferenced: 5000,
      sizeSummary: 5700,
      sizeUntagged: 700,
    });
    await provider.garbageCollection.start(registry);
    bed.sim.finishProcesses();
    expect(await provider.garbageCollection.reclaimableBytes(registry)).toBe(700);
  });

  it('sends delete-untagged when configured, which removes untagged images', async () => {
    bed.sim.addImage(simRegistry.id, 'api', { tags: [], size: 700 });
    const untagging = bed.provider({ gcDeleteUntagged: true });
    expect(await untagging.garbageCollection.start(registry)).toBe(true);
    bed.sim.finishProcesses();
    expect(await provider.garbageCollection.reclaimableBytes(registry)).toBe(0);
  });
});

describe('CraasApi repository endpoints', () => {
  it('gets and deletes a repository and a manifest', async () => {
    const image = bed.sim.addImage(simRegistry.id, 'team/api', { tags: ['a'], size: 10 });
    bed.sim.addImage(simRegistry.id, 'team/api', { tags: ['b'], size: 20 });
    expect(await provider.api.getRepository(simRegistry.id, 'team/api')).toMatchObject({
      name: 'team/api',
      size: 30,
    });
    await provider.api.deleteManifest(simRegistry.id, 'team/api', image.digest);
    await expect(
      provider.api.deleteManifest(simRegistry.id, 'team/api', image.digest),
    ).rejects.toBeInstanceOf(NotFoundError);
    await provider.api.deleteRepository(simRegistry.id, 'team/api');
    await expect(provider.api.getRepository(simRegistry.id, 'team/api')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('lists registries in the v2 envelope', async () => {
    bed.sim.addRegistry(TEST_PROJECT, 'other');
    const page = await provider.api.listRegistriesV2({ limit: 1, offset: 1 });
    expect(page.totalCount).toBe(2);
    expect(page.registries.map((r) => r.name)).toEqual(['shop']);
  });
});

describe('SelectelImages.currentTags (issue 22: re-check right before a cleanup batch)', () => {
  it('lists the images again: a tag moved onto a digest shows on it, a deleted image is gone', async () => {
    const old = bed.sim.addImage(simRegistry.id, 'team/api', { tags: ['v1'] });
    const prod = bed.sim.addImage(simRegistry.id, 'team/api', { tags: ['prod'] });
    const gone = bed.sim.addImage(simRegistry.id, 'team/api', { tags: ['v0'] });
    bed.sim.addImage(simRegistry.id, 'team/api', { tags: ['v2'] });
    // After the listing: prod rolled back onto the old image, v0's image cleaned up by someone else.
    prod.tags = [];
    old.tags.push('prod');
    await provider.images.deleteDigests(registry, 'team/api', [gone.digest]);
    bed.sim.server.log.length = 0;

    const now = await provider.images.currentTags(registry, 'team/api', {
      digests: [old.digest, gone.digest],
      tags: ['prod', 'v0'],
    });

    expect(now.ofDigest).toEqual(new Map([[old.digest, ['v1', 'prod']]]));
    expect(now.ofTag).toEqual(new Map([['prod', old.digest]]));
    // Paged like the listing (page size 2, three images left), and nothing else asked.
    expect(bed.sim.server.log.map((e) => `${e.method} ${e.path.replace(/\?.*/, '')}`)).toEqual(
      Array(2).fill(`GET /api/v2/registries/${simRegistry.id}/repositories/team/api/images`),
    );
  });
});
