/**
 * CRaaS repository, image, cleanup and layer routes. A repository name may hold `/` (`team/app`):
 * craas-go (pkg/v1/repository/requests.go) joins it into the path unescaped, third-party clients
 * send `team%2Fapp`; both forms match (`:name+` spans segments and is decoded). Where the raw form
 * is ambiguous, the state decides: `GET …/team/app` is the repository `team/app` when it exists,
 * else the image `app` of `team`; a last segment with `:` is a digest, never part of a name.
 */
import type { SimRequest, SimResponse, SimServer } from '../core/server.ts';
import { cleanup, removeImages } from './cleanup.ts';
import { craasError, iso, objectBody, pageOf, searched, slice, sorted } from './http-util.ts';
import type { SelectelRegistryMirror } from './registry-mirror.ts';
import { imageSize, type SimImage, type SimRegistry, type SimRepository, type SimState } from './state.ts';

/** What the repository routes need from the registry routes. */
export interface RepositoryRouteDeps {
  state: SimState;
  /** The request's registry (`:id`) in the token's project, or a 404. */
  registry: (req: SimRequest) => SimRegistry;
  mirror: () => SelectelRegistryMirror | undefined;
  /** Serve the seed's paged v2 lists too (default); off, only craas-go's v1 paths exist. */
  pagedListings: boolean;
}

/** Registers the repository-side routes (v1, and the paged v2 lists when enabled). */
export function registerRepositoryRoutes(server: SimServer, deps: RepositoryRouteDeps): void {
  const { state, registry, mirror } = deps;
  /** The repository `name` of a registry, read from the attached registry first; undefined if none. */
  const find = async (reg: SimRegistry, name: string) =>
    (await mirror()?.syncRepository(reg, name)) ?? reg.repositories.get(name);
  const repository = async (req: SimRequest): Promise<[SimRegistry, SimRepository]> => {
    const reg = registry(req);
    const repo = await find(reg, req.params.name ?? '');
    if (!repo) throw craasError(404, 'Repository not found.');
    return [reg, repo];
  };
  /** `name` split into a repository and the reference after its last `/`, when that repository exists. */
  const withReference = async (reg: SimRegistry, name: string) => {
    const cut = name.lastIndexOf('/');
    if (cut <= 0) return undefined;
    const repo = await find(reg, name.slice(0, cut));
    return repo ? { repo, reference: name.slice(cut + 1) } : undefined;
  };
  const notCollecting = (reg: SimRegistry) => {
    if (reg.status === 'GARBAGE_COLLECTION') throw craasError(409, 'Garbage collection is in progress.');
  };
  const synced = async (req: SimRequest) => {
    const reg = registry(req);
    await mirror()?.syncRegistry(reg);
    return reg;
  };
  const repositories = (req: SimRequest, reg: SimRegistry) =>
    sorted(
      req,
      searched(req, [...reg.repositories.values()]),
      { name: (r) => r.name, updatedAt: (r) => r.updatedAt, size: (r) => repositoryJson(r).size },
      'name',
    );
  const v1 = '/api/v1/registries/:id/repositories';
  const v2 = '/api/v2/registries/:id/repositories';

  // An empty repository list is 204 with no body (craas-go #10 reads it as an empty list).
  server.route('GET', v1, async (req) => {
    const page = slice(repositories(req, await synced(req)), pageOf(req));
    const short = req.query.get('short') === 'true';
    const items = page.map((r) => (short ? { name: r.name } : repositoryJson(r)));
    return items.length === 0 ? { status: 204 } : { status: 200, body: items };
  });
  // craas-go's ListImages has no 204 branch (it decodes the body), so an empty list is `[]`.
  server.route('GET', `${v1}/:name+/images`, async (req) => ({
    status: 200,
    body: (await repository(req))[1].images.map(imageJson),
  }));
  server.route('GET', `${v1}/:name+/tags`, async (req) => ({
    status: 200,
    body: (await repository(req))[1].images.flatMap((i) => i.tags),
  }));
  server.route('POST', `${v1}/:name+/cleanup`, async (req) => {
    const [reg, repo] = await repository(req);
    notCollecting(reg);
    return { status: 200, body: await cleanup(state, mirror(), reg, repo, objectBody(req)) };
  });
  server.route('GET', `${v1}/:name+`, async (req): Promise<SimResponse> => {
    const reg = registry(req);
    const name = req.params.name ?? '';
    const repo = name.includes(':') ? undefined : await find(reg, name);
    if (repo) return { status: 200, body: repositoryJson(repo) };
    const ref = await withReference(reg, name);
    if (!ref) throw craasError(404, 'Repository not found.');
    const image = ref.repo.images.find((i) => i.digest === ref.reference || i.tags.includes(ref.reference));
    if (!image) throw craasError(404, 'Image not found.');
    // "List layers": craas-go's ListImageLayers decodes `[Layer]` (its fixture); the seed shows an Image.
    return { status: 200, body: image.layers.map((l) => ({ digest: l.digest, size: l.size })) };
  });
  server.route('DELETE', `${v1}/:name+`, async (req): Promise<SimResponse> => {
    const reg = registry(req);
    const name = req.params.name ?? '';
    const ref = name.slice(name.lastIndexOf('/') + 1).includes(':')
      ? await withReference(reg, name)
      : undefined;
    if (ref) {
      notCollecting(reg);
      const image = ref.repo.images.find((i) => i.digest === ref.reference);
      if (!image) throw craasError(404, 'Image not found.');
      await removeImages(state, mirror(), reg, ref.repo, [image]);
      return { status: 204 };
    }
    const repo = await find(reg, name);
    if (!repo) throw craasError(404, 'Repository not found.');
    notCollecting(reg);
    await removeImages(state, mirror(), reg, repo, [...repo.images]);
    reg.repositories.delete(repo.name);
    return { status: 204 };
  });

  if (!deps.pagedListings) return;
  server.route('GET', v2, async (req) => {
    const reg = await synced(req);
    const filtered = repositories(req, reg);
    return {
      status: 200,
      body: {
        filteredCount: filtered.length,
        repositories: slice(filtered, pageOf(req)).map(repositoryJson),
        totalCount: reg.repositories.size,
      },
    };
  });
  server.route('GET', `${v2}/:name+/images`, async (req) => {
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
  });
}

/** The seed's Repository object. */
function repositoryJson(repo: SimRepository) {
  return {
    name: repo.name,
    size: repo.images.reduce((sum, image) => sum + imageSize(image), 0),
    type: repo.type,
    updatedAt: iso(repo.updatedAt),
  };
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
