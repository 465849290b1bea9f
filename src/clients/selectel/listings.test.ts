import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  desiredRegistry,
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
  tokenRegistry,
} from '../../../test/support/providers/selectel.ts';
import { type SimResponse, SimServer } from '../../simulators/core/server.ts';
import { NotFoundError } from '../http/errors.ts';
import type { TokenRegistry } from '../provider.ts';
import { createSelectelProvider } from './adapter.ts';

/** craas-go's repository fixtures (source in the file). */
const sdk = JSON.parse(
  readFileSync(new URL('./testdata/craas-go-repository.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('Selectel listings against a server answering only what craas-go calls', () => {
  // Only the v1 paths of craas-go's repository package exist; v2 answers 404 as an unknown route.
  let server: SimServer;
  let images: unknown;
  let repositories: SimResponse;
  /** Answers of the v2 image list, one per request; none left: 404 (as for an unknown route). */
  let v2Pages: unknown[] = [];
  const queries: string[] = [];
  const warnings: string[] = [];
  const registry: TokenRegistry = {
    externalId: 'reg-1',
    name: 'shop',
    server: 'cr.example',
    desired: desiredRegistry('shop'),
  };
  const provider = () =>
    createSelectelProvider({
      projectId: TEST_PROJECT,
      credentials: { token: 'iam-token' },
      apiEndpoint: `${server.url}/api`,
      pageSize: 2,
      sleep: async () => {},
      logger: { debug: () => {}, warn: (msg: unknown) => void warnings.push(String(msg)) } as never,
    });

  beforeAll(async () => {
    server = new SimServer({
      authenticate: () => undefined,
      errorBody: (_s, message) => ({ error: message }),
    });
    const base = '/api/v1/registries/:id/repositories';
    server
      .route('GET', base, (req) => {
        queries.push(req.query.toString());
        return repositories;
      })
      .route('GET', `${base}/:name+/images`, () => ({ status: 200, body: images }))
      .route('GET', '/api/v2/registries/:id/repositories/:name+/images', () => {
        const page = v2Pages.shift();
        return page ? { status: 200, body: page } : { status: 404, body: { error: 'Repository not found.' } };
      })
      .route('GET', `${base}/:name+`, () => ({ status: 200, body: sdk.testGetRepositoryResponseRaw }));
    await server.listen(0, '127.0.0.1');
  });
  afterAll(() => server.close());
  beforeEach(() => {
    images = sdk.testListImagesResponseRaw;
    repositories = { status: 200, body: sdk.testListRepositoriesResponseRaw };
    v2Pages = [];
    server.log.length = 0;
    queries.length = 0;
    warnings.length = 0;
  });

  it('falls back to the v1 lists on a v2 404 and keeps using them', async () => {
    const client = provider();
    expect(await collect(client.images.listRepositories(registry))).toEqual(['nginx']);
    const [artifact] = await collect(client.images.listArtifacts(registry, 'team/app'));
    expect(artifact).toMatchObject({
      digest: 'sha256:a76df3b4f1478766631c794de7ff466aca466f995fd5bb216bb9643a3dd2a6bb',
      tags: ['latest'],
      sizeBytes: 56718266,
    });
    await collect(client.images.listRepositories(registry));
    const paths = server.log.map((e) => `${e.status} ${e.path}`);
    // v2 asked once; afterwards only v1, with the nested name's `/` raw as craas-go sends it.
    expect(paths.filter((p) => p.includes('/v2/'))).toEqual(['404 /api/v2/registries/reg-1/repositories']);
    expect(paths).toContain('200 /api/v1/registries/reg-1/repositories/team/app/images');
    expect(paths).toContain('200 /api/v1/registries/reg-1/repositories/team/app');
    // The v1 repository list pages with limit/offset, as the seed documents for the array form.
    expect(queries[0]).toBe('limit=2&offset=0');
  });

  it('stops after one v1 repository answer that ignored the limit (craas-go sends none)', async () => {
    repositories = {
      status: 200,
      body: ['a', 'b', 'c'].map((name) => ({ name, size: 1, updatedAt: '2024-01-01T00:00:00Z' })),
    };
    expect(await collect(provider().images.listRepositories(registry))).toEqual(['a', 'b', 'c']);
    expect(queries).toEqual(['limit=2&offset=0']);
  });

  it('does not switch to v1 on a v2 404 after the first page (the repository went between pages)', async () => {
    const [good] = sdk.testListImagesResponseRaw as Record<string, unknown>[];
    v2Pages = [{ images: [good, { ...good, digest: 'sha256:b' }], totalCount: 3 }];
    const client = provider();
    await expect(collect(client.images.listArtifacts(registry, 'app'))).rejects.toBeInstanceOf(NotFoundError);
    expect(client.api.listings.usesV1).toBe(false);
    expect(server.log.filter((e) => e.path.includes('/v1/') && e.path.endsWith('/images'))).toEqual([]);
  });

  it('reads a 204 with no body as an empty repository list (craas-go #10)', async () => {
    repositories = { status: 204 };
    expect(await collect(provider().images.listRepositories(registry))).toEqual([]);
  });

  it('keeps an image without createdAt with an unknown push time and skips one without digest, logged', async () => {
    const [good] = sdk.testListImagesResponseRaw as Record<string, unknown>[];
    images = [
      { ...good, createdAt: null },
      { ...good, digest: 'sha256:b', createdAt: undefined },
      { tags: ['orphan'], createdAt: '2024-01-01T00:00:00Z' },
      { ...good, digest: 'sha256:c' },
    ];
    const artifacts = await collect(provider().images.listArtifacts(registry, 'app'));
    expect(artifacts.map((a) => a.digest)).toEqual([good?.digest, 'sha256:b', 'sha256:c']);
    // Unknown push time (the cleanup planner keeps such an image); the readable one has one.
    expect(artifacts.map((a) => Number.isNaN(a.pushedAt.getTime()))).toEqual([true, true, false]);
    expect(warnings).toEqual([expect.stringMatching(/skipped an unreadable image \(item 2: digest: /)]);
  });
});

describe('Selectel listings against the simulator', () => {
  let bed: SelectelTestBed;
  afterEach(() => bed.stop());

  it('pages the v1 repository list when the service has no v2 lists', async () => {
    bed = await startSelectelTestBed({ pagedListings: false });
    const reg = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    for (const name of ['a', 'b', 'team/c', 'team/d', 'e']) bed.sim.addImage(reg.id, name, { tags: ['x'] });
    const provider = bed.provider({ pageSize: 2 });
    const names = await collect(provider.images.listRepositories(tokenRegistry(bed.sim, reg)));
    expect(names.sort()).toEqual(['a', 'b', 'e', 'team/c', 'team/d']);
    const artifacts = await collect(provider.images.listArtifacts(tokenRegistry(bed.sim, reg), 'team/c'));
    expect(artifacts.map((a) => a.tags)).toEqual([['x']]);
    const counts = bed.sim.server.counts();
    expect(counts['GET /api/v1/registries/:id/repositories']).toBe(3);
    expect(counts['GET /api/v1/registries/:id/repositories/:name+/images']).toBe(1);
    expect(bed.sim.server.log.filter((e) => e.path.startsWith('/api/v2/')).map((e) => e.status)).toEqual([
      404,
    ]);
  });

  it('does not give up v2 when a repository is missing from both versions', async () => {
    bed = await startSelectelTestBed();
    const reg = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    bed.sim.addImage(reg.id, 'app', { tags: ['x'] });
    const provider = bed.provider();
    await expect(
      collect(provider.images.listArtifacts(tokenRegistry(bed.sim, reg), 'gone')),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(provider.api.listings.usesV1).toBe(false);
    await collect(provider.images.listArtifacts(tokenRegistry(bed.sim, reg), 'app'));
    expect(bed.sim.server.log.at(-2)?.path).toBe(`/api/v2/registries/${reg.id}/repositories/app/images`);
  });
});
