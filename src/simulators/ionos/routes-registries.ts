/**
 * Locations, name availability and registries of the simulated IONOS API. Registries page like a
 * Kubernetes list (the spec's example token decodes to a `meta.k8s.io/v1` continue token): sorted
 * by ID, an opaque `pagination.token`, and an empty token on the last page.
 */
import type { SimRequest, SimServer } from '../core/server.ts';
import {
  checkAllowList,
  checkScanning,
  checkSchedule,
  checkUuid,
  intParam,
  objectBody,
  REGISTRY_NAME,
} from './checks.ts';
import type { IonosRegistryMirror } from './registry-mirror.ts';
import { fail, HREF_BASE, renderRegistry } from './render.ts';
import type { IonosWorld, SimPrincipal, SimRegistry } from './state.ts';

/** What the route modules share. */
export interface IonosSimContext {
  world: IonosWorld;
  registryHost: string | undefined;
  locations: string[];
  minTokenLifetimeMs: number;
  /** Who sent the request (already authenticated). */
  principal(req: SimRequest): SimPrincipal;
  /** The view of the registry behind the simulator, once one is attached. */
  mirror(): IonosRegistryMirror | undefined;
}

/** The registry by path parameter, or the IONOS 404. */
export function registryOf(ctx: IonosSimContext, id: string | undefined): SimRegistry {
  ctx.world.settle();
  const registry = ctx.world.registries.get(checkUuid(id, 'registryId'));
  if (!registry) throw fail(404, `registry ${id} not found`);
  return registry;
}

function encodeToken(lastId: string): string {
  const json = JSON.stringify({ v: 'meta.k8s.io/v1', rv: Date.now(), start: `${lastId}\u0000` });
  return Buffer.from(json).toString('base64').replace(/=+$/, '');
}

function decodeToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { start?: unknown };
    if (typeof parsed.start === 'string')
      return parsed.start.endsWith('\u0000') ? parsed.start.slice(0, -1) : parsed.start;
  } catch {
    // fall through to the 400
  }
  throw fail(400, 'invalid pagination.token');
}

/** Registers the location, name and registry routes. */
export function registryRoutes(server: SimServer, ctx: IonosSimContext): void {
  const { world } = ctx;
  const render = (r: SimRegistry) => renderRegistry(world, r, ctx.registryHost);

  server.route('GET', '/locations', () => ({
    status: 200,
    body: {
      href: `${HREF_BASE}/locations`,
      id: 'locations',
      items: ctx.locations.map((id) => ({ id })),
      type: 'collection',
    },
  }));

  // 200: valid but taken; 404: valid and free; 400: invalid. Not scoped by location or contract.
  server.route('HEAD', '/names/:name', (req) => {
    world.settle();
    const name = req.params.name ?? '';
    if (!REGISTRY_NAME.test(name)) throw fail(400, 'invalid registry name');
    if (world.nameTaken(name)) return { status: 200 };
    throw fail(404, 'registry name is available');
  });

  server.route('GET', '/registries', (req) => {
    world.settle();
    const limit = intParam(req.query.get('limit'), 'limit', 100, 1, 1000);
    const token = req.query.get('pagination.token');
    const after = token ? decodeToken(token) : '';
    const filter = req.query.get('filter.name') ?? '';
    const matching = [...world.registries.values()]
      .filter((r) => r.name.includes(filter))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const rest = matching.filter((r) => r.id > after);
    const page = rest.slice(0, limit);
    const last = page.at(-1);
    const next = rest.length > page.length && last ? encodeToken(last.id) : '';
    const self = `${HREF_BASE}/registries${req.query.size ? `?${req.query}` : ''}`;
    return {
      status: 200,
      body: {
        _links: {
          next: next ? `${HREF_BASE}/registries?limit=${limit}&pagination.token=${next}` : '',
          previous: '',
          self,
        },
        href: self,
        id: 'registries',
        items: page.map(render),
        pagination: { limit, token: next },
        type: 'collection',
      },
    };
  });

  server.route(
    'POST',
    '/registries',
    (req) => {
      world.settle();
      const registry = createFrom(ctx, req, undefined);
      return { status: 201, body: render(registry), headers: { location: render(registry).href } };
    },
    { creates: true },
  );

  server.route('GET', '/registries/:registryId', (req) => ({
    status: 200,
    body: render(registryOf(ctx, req.params.registryId)),
  }));

  // Create-or-replace under a client-chosen UUID; the 1.0 spec documents 201 for both.
  server.route(
    'PUT',
    '/registries/:registryId',
    (req) => {
      world.settle();
      const id = checkUuid(req.params.registryId, 'registryId');
      const existing = world.registries.get(id);
      if (!existing) {
        const registry = createFrom(ctx, req, id);
        return { status: 201, body: render(registry), headers: { location: render(registry).href } };
      }
      const props = objectBody(objectBody(req.body).properties);
      if (props.name !== existing.name) throw fail(400, 'name cannot be changed');
      if (props.location !== existing.location) throw fail(400, 'location cannot be changed');
      const scanning = checkScanning(props.features);
      if (existing.scanning && scanning === false)
        throw fail(400, 'vulnerability scanning cannot be disabled');
      existing.gc = checkSchedule(props.garbageCollectionSchedule) ?? undefined;
      existing.allowList = checkAllowList(props.apiSubnetAllowList) ?? [];
      if (scanning) existing.scanning = true;
      world.touch(existing, ctx.principal(req));
      return { status: 201, body: render(existing), headers: { location: render(existing).href } };
    },
    { creates: true },
  );

  // Flat body; omitted fields stay, `null` removes the schedule, `[]` clears the allow list.
  server.route('PATCH', '/registries/:registryId', (req) => {
    const registry = registryOf(ctx, req.params.registryId);
    const body = objectBody(req.body);
    const scanning = checkScanning(body.features);
    if (registry.scanning && scanning === false) throw fail(400, 'vulnerability scanning cannot be disabled');
    const schedule = checkSchedule(body.garbageCollectionSchedule);
    const allowList = checkAllowList(body.apiSubnetAllowList);
    if ('garbageCollectionSchedule' in body) registry.gc = schedule ?? undefined;
    if (allowList) registry.allowList = allowList;
    if (scanning) registry.scanning = true;
    world.touch(registry, ctx.principal(req));
    return { status: 200, body: render(registry) };
  });

  // 204 at once; the registry answers DESTROYING until it vanishes (then 404).
  server.route('DELETE', '/registries/:registryId', (req) => {
    world.startDeletion(registryOf(ctx, req.params.registryId));
    return { status: 204 };
  });
}

function createFrom(ctx: IonosSimContext, req: SimRequest, id: string | undefined): SimRegistry {
  const props = objectBody(objectBody(req.body).properties);
  const name = props.name;
  if (typeof name !== 'string' || !REGISTRY_NAME.test(name))
    throw fail(400, 'name must be 3-63 characters of a-z, 0-9 and -, starting with a letter');
  if (typeof props.location !== 'string' || !ctx.locations.includes(props.location))
    throw fail(400, `location must be one of ${ctx.locations.join(', ')}`);
  // Not in the 1.0 spec (it lists only 400): the simulator answers a taken name like a taken token name.
  if (ctx.world.nameTaken(name)) throw fail(409, `registry name ${name} is already in use`);
  return ctx.world.addRegistry({
    id,
    name,
    location: props.location,
    by: ctx.principal(req),
    gc: checkSchedule(props.garbageCollectionSchedule) ?? undefined,
    // Scanning is on unless switched off explicitly at creation.
    scanning: checkScanning(props.features) ?? true,
    allowList: checkAllowList(props.apiSubnetAllowList),
  });
}
