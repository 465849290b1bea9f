/**
 * Repositories and artifacts of the simulated IONOS API (1.1+): read-only listing with offset
 * paging (`_links.next` only while more exist), and whole-repository deletion. Nested repository
 * names must be URL-encoded (`dev%2Ftests`); unencoded they match no route and answer 404, as at IONOS.
 */
import type { SimRequest, SimServer } from '../core/server.ts';
import { intParam } from './checks.ts';
import { fail, HREF_BASE, renderArtifact, renderRepository } from './render.ts';
import { type IonosSimContext, registryOf } from './routes-registries.ts';
import type { SimArtifact, SimRegistry, SimRepository } from './state.ts';

type Sorter<T> = Record<string, (a: T, b: T) => number>;

const repositoryOrder: Sorter<SimRepository> = {
  name: (a, b) => a.name.localeCompare(b.name),
  lastPush: (a, b) => lastPush(a) - lastPush(b),
  pullCount: (a, b) => pulls(a) - pulls(b),
  artifactCount: (a, b) => a.artifacts.size - b.artifacts.size,
};

const artifactOrder: Sorter<SimArtifact> = {
  lastPush: (a, b) => a.pushedAt - b.pushedAt,
  pullCount: (a, b) => a.pullCount - b.pullCount,
  pushCount: (a, b) => a.pushCount - b.pushCount,
  digest: (a, b) => a.digest.localeCompare(b.digest),
};

function lastPush(repository: SimRepository): number {
  return Math.max(0, ...[...repository.artifacts.values()].map((a) => a.pushedAt));
}

function pulls(repository: SimRepository): number {
  return [...repository.artifacts.values()].reduce((n, a) => n + a.pullCount, 0);
}

/** Sorts by `orderBy` (`field` or `-field`), ties broken by insertion order. */
function ordered<T>(items: T[], orderBy: string, sorters: Sorter<T>): T[] {
  const descending = orderBy.startsWith('-');
  const sorter = sorters[descending ? orderBy.slice(1) : orderBy];
  if (!sorter)
    throw fail(400, `orderBy must be one of ${Object.keys(sorters).join(', ')} (optionally with -)`);
  return [...items].sort((a, b) => (descending ? -sorter(a, b) : sorter(a, b)));
}

/** One offset page in the 1.1+ list shape. */
function page<T, R>(req: SimRequest, href: string, id: string, items: T[], render: (item: T) => R) {
  const offset = intParam(req.query.get('offset'), 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(req.query.get('limit'), 'limit', 100, 1, 1000);
  const slice = items.slice(offset, offset + limit);
  const more = offset + slice.length < items.length;
  return {
    status: 200,
    body: {
      id,
      type: 'collection',
      href,
      items: slice.map(render),
      offset,
      limit,
      _links: {
        ...(offset > 0 ? { prev: `${href}?offset=${Math.max(0, offset - limit)}&limit=${limit}` } : {}),
        self: `${href}?offset=${offset}&limit=${limit}`,
        ...(more ? { next: `${href}?offset=${offset + limit}&limit=${limit}` } : {}),
      },
    },
  };
}

/** Registers the repository and artifact routes; with a registry attached they read it first. */
export function imageRoutes(server: SimServer, ctx: IonosSimContext): void {
  const repositoryOf = async (registry: SimRegistry, name: string | undefined): Promise<SimRepository> => {
    const synced = await ctx.mirror()?.syncRepository(registry, name ?? '');
    const repository = synced ?? registry.repositories.get(name ?? '');
    if (!repository) throw fail(404, `repository ${name} not found`);
    return repository;
  };
  const syncAll = async (registry: SimRegistry) => {
    await ctx.mirror()?.syncRegistry(registry);
  };

  server.route('GET', '/registries/:registryId/repositories', async (req) => {
    const registry = registryOf(ctx, req.params.registryId);
    await syncAll(registry);
    const filter = req.query.get('filter.name') ?? '';
    const matching = [...registry.repositories.values()].filter((r) => r.name.includes(filter));
    const sorted = ordered(matching, req.query.get('orderBy') || '-lastPush', repositoryOrder);
    const href = `${HREF_BASE}/registries/${registry.id}/repositories`;
    return page(req, href, 'repositories', sorted, (r) => renderRepository(registry, r));
  });

  server.route('GET', '/registries/:registryId/repositories/:repositoryName', async (req) => {
    const registry = registryOf(ctx, req.params.registryId);
    return {
      status: 200,
      body: renderRepository(registry, await repositoryOf(registry, req.params.repositoryName)),
    };
  });

  server.route('DELETE', '/registries/:registryId/repositories/:repositoryName', async (req) => {
    const registry = registryOf(ctx, req.params.registryId);
    const repository = await repositoryOf(registry, req.params.repositoryName);
    await ctx.mirror()?.deleteRepository(registry, repository);
    registry.repositories.delete(repository.name);
    return { status: 204 };
  });

  server.route('GET', '/registries/:registryId/repositories/:repositoryName/artifacts', async (req) => {
    const registry = registryOf(ctx, req.params.registryId);
    const repository = await repositoryOf(registry, req.params.repositoryName);
    const sorted = ordered(
      [...repository.artifacts.values()],
      req.query.get('orderBy') || '-lastPush',
      artifactOrder,
    );
    const href = `${HREF_BASE}/registries/${registry.id}/repositories/${encodeURIComponent(repository.name)}/artifacts`;
    return page(req, href, 'artifacts', sorted, (a) => renderArtifact(registry, repository, a));
  });

  server.route(
    'GET',
    '/registries/:registryId/repositories/:repositoryName/artifacts/:digest',
    async (req) => {
      const registry = registryOf(ctx, req.params.registryId);
      const repository = await repositoryOf(registry, req.params.repositoryName);
      const artifact = repository.artifacts.get(req.params.digest ?? '');
      if (!artifact) throw fail(404, `artifact ${req.params.digest} not found`);
      return { status: 200, body: renderArtifact(registry, repository, artifact) };
    },
  );

  server.route('GET', '/registries/:registryId/artifacts', async (req) => {
    const registry = registryOf(ctx, req.params.registryId);
    await syncAll(registry);
    const all = [...registry.repositories.values()].flatMap((repository) =>
      [...repository.artifacts.values()].map((artifact) => ({ repository, artifact })),
    );
    const bySorter =
      (s: (a: SimArtifact, b: SimArtifact) => number) =>
      (a: { artifact: SimArtifact }, b: { artifact: SimArtifact }) =>
        s(a.artifact, b.artifact);
    const sorters = Object.fromEntries(Object.entries(artifactOrder).map(([k, s]) => [k, bySorter(s)]));
    const sorted = ordered(all, req.query.get('orderBy') || '-pullCount', sorters);
    const href = `${HREF_BASE}/registries/${registry.id}/artifacts`;
    return page(req, href, 'artifacts', sorted, (e) => renderArtifact(registry, e.repository, e.artifact));
  });
}
