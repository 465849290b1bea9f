/**
 * CRaaS registry, repository, image, cleanup and garbage-collection routes (v1, plus the paged v2
 * lists). Bodies follow the seed's samples; errors are `{"error": "..."}` with the seed's statuses.
 * With a registry attached, repository and image routes read it first (registry-mirror.ts).
 */
import type { SimRequest, SimResponse, SimServer } from '../core/server.ts';
import { cleanup, removeImages } from './cleanup.ts';
import { craasError, iso, objectBody, pageOf, searched, slice, sorted } from './http-util.ts';
import type { SelectelRegistryMirror } from './registry-mirror.ts';
import { imageSize, type SimImage, type SimRegistry, type SimRepository, type SimState } from './state.ts';

/** Selectel registry names: lower-case letters, digits and `-`, from a letter, at most 20. */
const REGISTRY_NAME = /^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$/;

/** At most 100 registries per project. */
const MAX_REGISTRIES = 100;

/** Resolves the project of the request's IAM token (already checked by the auth hook). */
export type ProjectOf = (req: SimRequest) => string;

/** Registers the registry-side routes; `mirror` is the attached registry's view, if any. */
export function registerRegistryRoutes(
  server: SimServer,
  state: SimState,
  projectOf: ProjectOf,
  mirror: () => SelectelRegistryMirror | undefined = () => undefined,
): void {
  const registry = (req: SimRequest): SimRegistry => {
    const found = state.registryIn(projectOf(req), req.params.id ?? '');
    if (!found) throw craasError(404, 'Registry not found.');
    return found;
  };
  /** The registry with its repositories read from the attached registry, if any. */
  const syncedRegistry = async (req: SimRequest): Promise<SimRegistry> => {
    const reg = registry(req);
    await mirror()?.syncRegistry(reg);
    return reg;
  };
  const repository = async (req: SimRequest): Promise<[SimRegistry, SimRepository]> => {
    const reg = registry(req);
    const name = req.params.name ?? '';
    const repo = (await mirror()?.syncRepository(reg, name)) ?? reg.repositories.get(name);
    if (!repo) throw craasError(404, 'Repository not found.');
    return [reg, repo];
  };
  const notCollecting = (reg: SimRegistry) => {
    if (reg.status === 'GARBAGE_COLLECTION') throw craasError(409, 'Garbage collection is in progress.');
  };
  const registries = (req: SimRequest) =>
    sorted(
      req,
      searched(
        req,
        [...state.registries.values()].filter((r) => r.projectId === projectOf(req)),
      ),
      { name: (r) => r.name, createdAt: (r) => r.createdAt, size: (r) => state.usedBytes(r) },
      'name',
    );
  const registryV1 = (r: SimRegistry) => {
    const size = state.usedBytes(r);
    return {
      createdAt: iso(r.createdAt),
      id: r.id,
      name: r.name,
      size,
      sizeLimit: r.sizeLimit,
      status: r.status,
      used: Math.round((size / r.sizeLimit) * 10_000) / 100,
    };
  };
  const repositoryJson = (repo: SimRepository) => ({
    name: repo.name,
    size: repo.images.reduce((sum, image) => sum + imageSize(image), 0),
    type: repo.type,
    updatedAt: iso(repo.updatedAt),
  });
  const repositories = (req: SimRequest, reg: SimRegistry) =>
    sorted(
      req,
      searched(req, [...reg.repositories.values()]),
      { name: (r) => r.name, updatedAt: (r) => r.updatedAt, size: (r) => repositoryJson(r).size },
      'name',
    );
  // The v1 array lists answer 204 with no body when empty (craas-go #10).
  const arrayOrEmpty = (items: unknown[]): SimResponse =>
    items.length === 0 ? { status: 204 } : { status: 200, body: items };

  server
    .route('GET', '/api/v1/registries', (req) =>
      arrayOrEmpty(slice(registries(req), pageOf(req)).map(registryV1)),
    )
    .route('GET', '/api/v2/registries', (req) => {
      const all = registries(req);
      const items = slice(all, pageOf(req)).map((r) => {
        const { sizeLimit: _limit, used: _used, ...rest } = registryV1(r);
        return rest;
      });
      return { status: 200, body: { registries: items, totalCount: all.length } };
    })
    .route(
      'POST',
      '/api/v1/registries',
      (req) => {
        const name = objectBody(req).name;
        if (typeof name !== 'string' || !REGISTRY_NAME.test(name))
          throw craasError(400, 'Invalid registry name.');
        const projectId = projectOf(req);
        if ([...state.registries.values()].some((r) => r.name === name))
          throw craasError(409, 'Registry with this name already exists.');
        if ([...state.registries.values()].filter((r) => r.projectId === projectId).length >= MAX_REGISTRIES)
          throw craasError(400, 'Registry quota exceeded.');
        return { status: 201, body: registryV1(state.addRegistry(projectId, name, 'CREATING')) };
      },
      { creates: true },
    )
    .route('GET', '/api/v1/registries/:id', (req) => ({ status: 200, body: registryV1(registry(req)) }))
    .route('DELETE', '/api/v1/registries/:id', (req) => {
      const reg = registry(req);
      notCollecting(reg);
      if (reg.status !== 'DELETING') {
        reg.status = 'DELETING';
        reg.until = state.now() + state.durations.deleteMs;
      }
      return { status: 204 };
    })
    .route('POST', '/api/v1/registries/:id/garbage-collection', (req) => {
      const reg = registry(req);
      if (reg.status === 'GARBAGE_COLLECTION')
        throw craasError(409, 'Garbage collection is already running.');
      if (reg.status !== 'ACTIVE') throw craasError(409, `Registry is ${reg.status}.`);
      state.startCollection(reg, req.query.get('delete-untagged') === 'true');
      return { status: 201 };
    })
    .route('GET', '/api/v1/registries/:id/garbage-collection/size', (req) => {
      const reg = registry(req);
      const untagged = state.untaggedBytes(reg);
      return {
        status: 200,
        body: {
          sizeNonReferenced: reg.garbageBytes,
          sizeSummary: reg.garbageBytes + untagged,
          sizeUntagged: untagged,
        },
      };
    })
    .route('GET', '/api/v1/registries/:id/repositories', async (req) => {
      const page = slice(repositories(req, await syncedRegistry(req)), pageOf(req));
      const short = req.query.get('short') === 'true';
      return arrayOrEmpty(page.map((r) => (short ? { name: r.name } : repositoryJson(r))));
    })
    .route('GET', '/api/v2/registries/:id/repositories', async (req) => {
      const reg = await syncedRegistry(req);
      const filtered = repositories(req, reg);
      return {
        status: 200,
        body: {
          filteredCount: filtered.length,
          repositories: slice(filtered, pageOf(req)).map(repositoryJson),
          totalCount: reg.repositories.size,
        },
      };
    })
    .route('GET', '/api/v1/registries/:id/repositories/:name', async (req) => ({
      status: 200,
      body: repositoryJson((await repository(req))[1]),
    }))
    .route('DELETE', '/api/v1/registries/:id/repositories/:name', async (req) => {
      const [reg, repo] = await repository(req);
      notCollecting(reg);
      await removeImages(state, mirror(), reg, repo, [...repo.images]);
      reg.repositories.delete(repo.name);
      return { status: 204 };
    })
    .route('GET', '/api/v1/registries/:id/repositories/:name/images', async (req) => ({
      status: 200,
      body: (await repository(req))[1].images.map(imageJson),
    }))
    .route('GET', '/api/v2/registries/:id/repositories/:name/images', async (req) => {
      const repo = (await repository(req))[1];
      const search = req.query.get('search');
      const filtered = search
        ? repo.images.filter((i) => i.digest.includes(search) || i.tags.some((t) => t.includes(search)))
        : repo.images;
      return {
        status: 200,
        body: {
          filteredCount: filtered.length,
          images: slice(filtered, pageOf(req)).map(imageJson),
          totalCount: repo.images.length,
        },
      };
    })
    .route('GET', '/api/v1/registries/:id/repositories/:name/tags', async (req) => ({
      status: 200,
      body: (await repository(req))[1].images.flatMap((i) => i.tags),
    }))
    .route('POST', '/api/v1/registries/:id/repositories/:name/cleanup', async (req) => {
      const [reg, repo] = await repository(req);
      notCollecting(reg);
      return { status: 200, body: await cleanup(state, mirror(), reg, repo, objectBody(req)) };
    })
    .route('GET', '/api/v1/registries/:id/repositories/:name/:reference', async (req) => {
      const reference = req.params.reference ?? '';
      const image = (await repository(req))[1].images.find(
        (i) => i.digest === reference || i.tags.includes(reference),
      );
      if (!image) throw craasError(404, 'Image not found.');
      return { status: 200, body: imageJson(image) };
    })
    .route('DELETE', '/api/v1/registries/:id/repositories/:name/:reference', async (req) => {
      const [reg, repo] = await repository(req);
      notCollecting(reg);
      const image = repo.images.find((i) => i.digest === req.params.reference);
      if (!image) throw craasError(404, 'Image not found.');
      await removeImages(state, mirror(), reg, repo, [image]);
      return { status: 204 };
    });
}

/** The seed's Image object. */
function imageJson(image: SimImage) {
  return {
    architecture: image.architecture,
    // An image config's `created` has nanoseconds (craas-go's image fixture shows 9 digits).
    createdAt: iso(image.createdAt, 9),
    digest: image.digest,
    layers: image.layers.map((l) => ({ digest: l.digest, size: l.size })),
    mediaType: image.mediaType,
    os: image.os,
    size: imageSize(image),
    tags: [...image.tags],
  };
}
