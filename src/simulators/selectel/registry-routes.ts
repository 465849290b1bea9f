/**
 * CRaaS registry, repository, image, cleanup and garbage-collection routes (v1, plus the paged v2
 * lists). Bodies follow the seed's samples; errors are `{"error": "..."}` with the seed's statuses.
 */
import type { SimRequest, SimResponse, SimServer } from '../core/server.ts';
import { craasError, iso, objectBody, pageOf, searched, slice, sorted } from './http-util.ts';
import { imageSize, type SimImage, type SimRegistry, type SimRepository, type SimState } from './state.ts';

/** Selectel registry names: lower-case letters, digits and `-`, from a letter, at most 20. */
const REGISTRY_NAME = /^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$/;

/** At most 100 registries per project. */
const MAX_REGISTRIES = 100;

/** Resolves the project of the request's IAM token (already checked by the auth hook). */
export type ProjectOf = (req: SimRequest) => string;

/** Registers the registry-side routes. */
export function registerRegistryRoutes(server: SimServer, state: SimState, projectOf: ProjectOf): void {
  const registry = (req: SimRequest): SimRegistry => {
    const found = state.registryIn(projectOf(req), req.params.id ?? '');
    if (!found) throw craasError(404, 'Registry not found.');
    return found;
  };
  const repository = (req: SimRequest): [SimRegistry, SimRepository] => {
    const reg = registry(req);
    const repo = reg.repositories.get(req.params.name ?? '');
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
    .route('GET', '/api/v1/registries/:id/repositories', (req) => {
      const page = slice(repositories(req, registry(req)), pageOf(req));
      const short = req.query.get('short') === 'true';
      return arrayOrEmpty(page.map((r) => (short ? { name: r.name } : repositoryJson(r))));
    })
    .route('GET', '/api/v2/registries/:id/repositories', (req) => {
      const reg = registry(req);
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
    .route('GET', '/api/v1/registries/:id/repositories/:name', (req) => ({
      status: 200,
      body: repositoryJson(repository(req)[1]),
    }))
    .route('DELETE', '/api/v1/registries/:id/repositories/:name', (req) => {
      const [reg, repo] = repository(req);
      notCollecting(reg);
      for (const image of repo.images) reg.garbageBytes += imageSize(image);
      reg.repositories.delete(repo.name);
      return { status: 204 };
    })
    .route('GET', '/api/v1/registries/:id/repositories/:name/images', (req) => ({
      status: 200,
      body: repository(req)[1].images.map(imageJson),
    }))
    .route('GET', '/api/v2/registries/:id/repositories/:name/images', (req) => {
      const repo = repository(req)[1];
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
    .route('GET', '/api/v1/registries/:id/repositories/:name/tags', (req) => ({
      status: 200,
      body: repository(req)[1].images.flatMap((i) => i.tags),
    }))
    .route('POST', '/api/v1/registries/:id/repositories/:name/cleanup', (req) => {
      const [reg, repo] = repository(req);
      notCollecting(reg);
      return { status: 200, body: cleanup(state, reg, repo, objectBody(req)) };
    })
    .route('GET', '/api/v1/registries/:id/repositories/:name/:reference', (req) => {
      const reference = req.params.reference ?? '';
      const image = repository(req)[1].images.find(
        (i) => i.digest === reference || i.tags.includes(reference),
      );
      if (!image) throw craasError(404, 'Image not found.');
      return { status: 200, body: imageJson(image) };
    })
    .route('DELETE', '/api/v1/registries/:id/repositories/:name/:reference', (req) => {
      const [reg, repo] = repository(req);
      notCollecting(reg);
      const image = repo.images.find((i) => i.digest === req.params.reference);
      if (!image) throw craasError(404, 'Image not found.');
      removeImage(state, reg, repo, image);
      return { status: 204 };
    });
}

/** The seed's Image object. */
function imageJson(image: SimImage) {
  return {
    architecture: image.architecture,
    createdAt: iso(image.createdAt),
    digest: image.digest,
    layers: image.layers.map((l) => ({ digest: l.digest, size: l.size })),
    mediaType: image.mediaType,
    os: image.os,
    size: imageSize(image),
    tags: [...image.tags],
  };
}

function removeImage(state: SimState, reg: SimRegistry, repo: SimRepository, image: SimImage): void {
  repo.images = repo.images.filter((i) => i !== image);
  reg.garbageBytes += imageSize(image);
  repo.updatedAt = state.now();
}

/**
 * Removes digests and tags, reporting each image in `deleted` or `failed`. Unknown items fail with
 * a "not found" error (UNVERIFIED: the seed shows only the "referenced" failure). Unless
 * `disable_gc` is true, a cleanup that deleted something starts a garbage collection.
 *
 * A tag is removed with its image: the seed says the endpoint "Removes specified tags and images"
 * and answers per image (`digest` with all its `tags`), never per tag, so it does not say that a
 * tag can go while its image stays. The simulator takes the harmful reading, because that is the
 * one clients must be safe against: deleting one tag of a multi-tag image deletes the image and
 * every other tag on it.
 */
function cleanup(state: SimState, reg: SimRegistry, repo: SimRepository, body: Record<string, unknown>) {
  const strings = (value: unknown, key: string): string[] => {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
      throw craasError(400, `${key} must be an array of strings.`);
    return value as string[];
  };
  const digests = strings(body.digests, 'digests');
  const tags = strings(body.tags, 'tags');
  if (body.disable_gc !== undefined && typeof body.disable_gc !== 'boolean')
    throw craasError(400, 'disable_gc must be a boolean.');
  if (digests.length === 0 && tags.length === 0) throw craasError(400, 'Nothing to clean up.');
  const deleted: { digest: string; tags: string[] }[] = [];
  const failed: { digest: string; error: string; tags: string[] }[] = [];
  const remove = (image: SimImage) => {
    if (image.lockedBy) failed.push({ digest: image.digest, error: image.lockedBy, tags: [...image.tags] });
    else {
      deleted.push({ digest: image.digest, tags: [...image.tags] });
      removeImage(state, reg, repo, image);
    }
  };
  const reported = (digest: string) => [...deleted, ...failed].some((d) => d.digest === digest);
  for (const digest of digests) {
    const image = repo.images.find((i) => i.digest === digest);
    if (image) remove(image);
    else if (!reported(digest)) failed.push({ digest, error: 'Image not found.', tags: [] });
  }
  for (const tag of tags) {
    const image = repo.images.find((i) => i.tags.includes(tag));
    // A tag whose image this request already removed (or refused) is reported with that image.
    if (image) {
      if (!reported(image.digest)) remove(image);
    } else if (![...deleted, ...failed].some((d) => d.tags.includes(tag))) {
      failed.push({ digest: '', error: 'Tag not found.', tags: [tag] });
    }
  }
  if (deleted.length > 0 && body.disable_gc !== true) state.startCollection(reg, false);
  return { deleted, failed };
}
