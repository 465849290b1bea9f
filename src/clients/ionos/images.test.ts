import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type IonosHarness,
  seededTokenRegistry,
  startIonosHarness,
} from '../../../test/support/providers/ionos.ts';
import { capabilitiesOf, type Images, type TokenRegistry } from '../provider.ts';
import type { IonosApi } from './api.ts';
import { IonosImages } from './images.ts';

let h: IonosHarness;
afterEach(() => h?.close());

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('IonosImages', () => {
  it('lists every repository across three pages', async () => {
    h = await startIonosHarness({ provider: { pageSize: 2 } });
    const registry = seededTokenRegistry(h.sim, 'shop');
    for (const name of ['a', 'b', 'team/c', 'team/d', 'e']) h.sim.pushArtifact(registry.externalId, name);
    expect((await collect(h.provider.images.listRepositories(registry))).sort()).toEqual([
      'a',
      'b',
      'e',
      'team/c',
      'team/d',
    ]);
    expect(h.sim.server.counts()['GET /containerregistries/registries/:registryId/repositories']).toBe(3);
  });

  it('lists artifacts with tags and push times across pages (nested repository names)', async () => {
    h = await startIonosHarness({ provider: { pageSize: 2 } });
    const registry = seededTokenRegistry(h.sim, 'shop');
    const pushedAt = new Date('2026-01-02T03:04:05Z');
    const digests = [0, 1, 2, 3, 4].map((i) =>
      h.sim.pushArtifact(registry.externalId, 'team/api', {
        tags: i === 0 ? ['latest', 'v0'] : [],
        pushedAt: new Date(pushedAt.getTime() + i * 1000),
      }),
    );
    const artifacts = await collect(h.provider.images.listArtifacts(registry, 'team/api'));
    expect(artifacts.map((a) => a.digest).sort()).toEqual([...digests].sort());
    const first = artifacts.find((a) => a.digest === digests[0]);
    expect(first).toEqual({
      repository: 'team/api',
      digest: digests[0],
      tags: ['latest', 'v0'],
      pushedAt,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
  });

  it('has no delete and no garbage collection capability (OCI deletes, GC is a schedule)', async () => {
    h = await startIonosHarness();
    const images: Images = h.provider.images;
    expect(images.deleteTags).toBeUndefined();
    expect(images.deleteDigests).toBeUndefined();
    expect(capabilitiesOf(h.provider)).toEqual({ images: true, garbageCollection: false, extend: true });
  });
});

describe('IonosImages without a push time', () => {
  /** An API that lists the given artifacts of one repository, as the 1.1+ endpoint shapes them. */
  const listing = (metadata: Record<string, unknown>[]) =>
    new IonosImages(
      {
        async *artifacts() {
          for (const [i, m] of metadata.entries())
            yield { id: `sha256:${i}`, metadata: m, properties: { digest: `sha256:${i}`, tags: [`t${i}`] } };
        },
      } as unknown as IonosApi,
      10,
    );

  afterEach(() => {
    vi.useRealTimers();
  });

  // An Invalid Date is what the planner keeps as "unknown push time"; the time of the listing would
  // have made the artifact look pushed just now, a different reason on every run.
  it.each(['2026-06-01T00:00:00Z', '2026-06-01T23:59:59Z'])(
    'answers an Invalid Date when the time is missing or unreadable, at %s as at any other time',
    async (at) => {
      vi.useFakeTimers({ now: new Date(at) });
      const registry = { externalId: 'r1', server: 'r1.example', name: 'shop' } as unknown as TokenRegistry;
      const artifacts = await collect(
        listing([{}, { lastPushedAt: 'yesterday' }, { lastPushedAt: '2026-01-02T03:04:05Z' }]).listArtifacts(
          registry,
          'team/api',
        ),
      );
      expect(artifacts.map((a) => a.pushedAt.getTime())).toEqual([
        Number.NaN,
        Number.NaN,
        Date.parse('2026-01-02T03:04:05Z'),
      ]);
    },
  );
});

describe('IonosImages.currentTags (issue 22: re-check right before a delete)', () => {
  const ARTIFACT =
    'GET /containerregistries/registries/:registryId/repositories/:repositoryName/artifacts/:digest';
  const LISTING = 'GET /containerregistries/registries/:registryId/repositories/:repositoryName/artifacts';

  it('reads each digest by itself: the tags on it now, a tag added since, and a digest gone', async () => {
    h = await startIonosHarness();
    const registry = seededTokenRegistry(h.sim, 'shop');
    const old = h.sim.pushArtifact(registry.externalId, 'team/api', { tags: ['v1'] });
    const gone = h.sim.pushArtifact(registry.externalId, 'team/api', { tags: ['v0'] });
    h.sim.pushArtifact(registry.externalId, 'team/api', { tags: ['v2'] });
    const repo = h.sim.registry(registry.externalId).repositories.get('team/api');
    // A rollback re-tag of prod onto the old digest, and a manifest deleted, after the listing.
    repo?.artifacts.get(old)?.tags.push('prod');
    repo?.artifacts.delete(gone);

    const now = await h.provider.images.currentTags(registry, 'team/api', { digests: [old, gone], tags: [] });

    expect(now.ofDigest).toEqual(new Map([[old, ['v1', 'prod']]]));
    expect(h.sim.server.counts()[ARTIFACT]).toBe(2);
    // No listing of the repository: one request per digest is all a delete costs.
    expect(h.sim.server.counts()[LISTING]).toBeUndefined();
  });

  it('finds where a tag points now by listing (the API has no lookup by tag)', async () => {
    h = await startIonosHarness();
    const registry = seededTokenRegistry(h.sim, 'shop');
    h.sim.pushArtifact(registry.externalId, 'api', { tags: ['old'] });
    const moved = h.sim.pushArtifact(registry.externalId, 'api', { tags: ['prod'] });

    const now = await h.provider.images.currentTags(registry, 'api', { digests: [], tags: ['prod', 'nope'] });

    expect(now.ofTag).toEqual(new Map([['prod', moved]]));
    expect(h.sim.server.counts()[LISTING]).toBe(1);
  });

  it('throws when the provider fails, so the caller keeps what it could not check', async () => {
    h = await startIonosHarness();
    const registry = seededTokenRegistry(h.sim, 'shop');
    const digest = h.sim.pushArtifact(registry.externalId, 'api', { tags: ['v1'] });
    h.sim.server.faults.schedule(
      { kind: 'serverError', status: 500 },
      { times: 10, match: { path: /artifacts/ } },
    );

    await expect(
      h.provider.images.currentTags(registry, 'api', { digests: [digest], tags: [] }),
    ).rejects.toMatchObject({ status: 500 });
  });
});
