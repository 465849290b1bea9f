/**
 * CRaaS registry and garbage-collection routes (v1, plus the paged v2 list), and through
 * repository-routes.ts the repository and image ones. Bodies follow the seed's samples; errors are
 * `{"error": "..."}` with the seed's statuses. With a registry attached, repository and image
 * routes read it first (registry-mirror.ts).
 */
import type { SimRequest, SimResponse, SimServer } from '../core/server.ts';
import { craasError, iso, objectBody, pageOf, searched, slice, sorted } from './http-util.ts';
import type { SelectelRegistryMirror } from './registry-mirror.ts';
import { registerRepositoryRoutes } from './repository-routes.ts';
import type { SimRegistry, SimState } from './state.ts';

/** Selectel registry names: lower-case letters, digits and `-`, from a letter, at most 20. */
const REGISTRY_NAME = /^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$/;

/** At most 100 registries per project. */
const MAX_REGISTRIES = 100;

/** Resolves the project of the request's IAM token (already checked by the auth hook). */
export type ProjectOf = (req: SimRequest) => string;

/**
 * Registers the registry-side routes; `mirror` is the attached registry's view, if any, and
 * `pagedListings` whether the seed's paged v2 repository and image lists are served.
 */
export function registerRegistryRoutes(
  server: SimServer,
  state: SimState,
  projectOf: ProjectOf,
  mirror: () => SelectelRegistryMirror | undefined = () => undefined,
  pagedListings = true,
): void {
  const registry = (req: SimRequest): SimRegistry => {
    const found = state.registryIn(projectOf(req), req.params.id ?? '');
    if (!found) throw craasError(404, 'Registry not found.');
    return found;
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
    });
  registerRepositoryRoutes(server, { state, registry, mirror, pagedListings });
}
