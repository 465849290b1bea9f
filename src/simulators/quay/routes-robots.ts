import type { SimRequest } from '../core/server.ts';
import { jsonBody, type QuaySimContext, truthy } from './context.ts';
import { formatDate, robotToken, type SimOrganization, type SimRobot } from './state.ts';

/** Robot short names (util/validation.py), 2-255 characters. */
const ROBOT_SHORTNAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Quay's DataModelException text for every missing-robot case (a 400, never a 404). */
export const ROBOT_MISSING = 'Could not find robot with specified username';

/** The robot view; Quay shows the token to organization administrators (every caller of these routes). */
function robotView(
  org: SimOrganization,
  robot: SimRobot,
  options: { token: boolean; metadata: boolean },
): Record<string, unknown> {
  return {
    name: `${org.name}+${robot.shortname}`,
    created: formatDate(robot.created),
    last_accessed: robot.lastAccessed === null ? null : formatDate(robot.lastAccessed),
    description: robot.description,
    ...(options.token ? { token: robot.token } : {}),
    ...(options.metadata ? { unstructured_metadata: robot.metadata } : {}),
  };
}

function robotOf(ctx: QuaySimContext, org: SimOrganization, req: SimRequest): SimRobot {
  const robot = org.robots.get(req.params.robot ?? '');
  if (robot) return robot;
  // The seed's guide lists 404 for these routes; Quay's source answers 400 (the default).
  throw ctx.settings.missingRobotStatus === 404 ? ctx.errors.notFound() : ctx.errors.model(ROBOT_MISSING);
}

function listRobots(ctx: QuaySimContext, req: SimRequest) {
  const org = ctx.access.orgAdmin(req, req.params.org ?? '');
  const token = truthy(req.query.get('token'), true);
  const permissions = truthy(req.query.get('permissions'), false);
  const limit = Number(req.query.get('limit') ?? Number.NaN);
  let robots = [...org.robots.values()].sort((a, b) => a.shortname.localeCompare(b.shortname));
  if (Number.isInteger(limit) && limit > 0) robots = robots.slice(0, limit);
  return {
    status: 200,
    body: {
      robots: robots.map((robot) => {
        const view = robotView(org, robot, { token, metadata: false });
        if (!permissions) return view;
        const username = `${org.name}+${robot.shortname}`;
        const repositories = [...org.repositories.values()]
          .filter((repo) => repo.permissions.has(username))
          .map((repo) => repo.name);
        return { ...view, teams: [], repositories };
      }),
    },
  };
}

function createRobot(ctx: QuaySimContext, req: SimRequest) {
  const org = ctx.access.orgAdmin(req, req.params.org ?? '');
  const shortname = req.params.robot ?? '';
  const body = jsonBody(ctx, req.body, true);
  if (shortname.length < 2 || shortname.length > 255 || !ROBOT_SHORTNAME.test(shortname))
    throw ctx.errors.invalidRequest(
      `Invalid robot account shortname: ${shortname}. Robot account names must match ${ROBOT_SHORTNAME.source}`,
    );
  const description = body.description ?? '';
  if (typeof description !== 'string' || description.length > 255)
    throw ctx.errors.invalidRequest("'description' must be a string of at most 255 characters");
  const metadata = body.unstructured_metadata;
  if (
    metadata !== undefined &&
    (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
  )
    throw ctx.errors.invalidRequest(`${JSON.stringify(metadata)} is not of type 'object'`);
  if (org.robots.has(shortname))
    throw ctx.errors.invalidRequest(`Existing robot with name: ${org.name}+${shortname}`);
  const robot: SimRobot = {
    shortname,
    description,
    // Stored as `unstructured_metadata or {}` (data/model/user.py create_robot): a GET shows {}.
    metadata: (metadata ?? {}) as Record<string, unknown>,
    token: robotToken(),
    created: ctx.now(),
    lastAccessed: null,
  };
  org.robots.set(shortname, robot);
  // The create answer echoes the request's metadata (create_org_robot), null when none was sent.
  const view = robotView(org, robot, { token: true, metadata: true });
  return { status: 201, body: { ...view, unstructured_metadata: metadata ?? null } };
}

function robotPermissions(ctx: QuaySimContext, req: SimRequest) {
  // Quay checks require_user_admin (the user:admin scope) before the handler's own
  // AdministerOrganizationPermission (org:admin): a token without either gets a 403 (notes §1).
  const org = ctx.access.orgAdmin(req, req.params.org ?? '');
  ctx.access.scope(ctx.access.user(req), 'user:admin');
  const robot = robotOf(ctx, org, req);
  const username = `${org.name}+${robot.shortname}`;
  const permissions = [...org.repositories.values()].flatMap((repo) => {
    const role = repo.permissions.get(username);
    return role ? [{ repository: { name: repo.name, is_public: repo.visibility === 'public' }, role }] : [];
  });
  return { status: 200, body: { permissions } };
}

/** `/organization/{org}/robots...`. */
export function registerRobotRoutes(ctx: QuaySimContext): void {
  const { server } = ctx;
  server.route('GET', '/organization/:org/robots', (req) => listRobots(ctx, req));
  server.route('GET', '/organization/:org/robots/:robot', (req) => {
    const org = ctx.access.orgAdmin(req, req.params.org ?? '');
    return { status: 200, body: robotView(org, robotOf(ctx, org, req), { token: true, metadata: true }) };
  });
  server.route('PUT', '/organization/:org/robots/:robot', (req) => createRobot(ctx, req), { creates: true });
  server.route('DELETE', '/organization/:org/robots/:robot', (req) => {
    const org = ctx.access.orgAdmin(req, req.params.org ?? '');
    ctx.state.deleteRobot(org, robotOf(ctx, org, req).shortname);
    return { status: 204 };
  });
  server.route(
    'POST',
    '/organization/:org/robots/:robot/regenerate',
    (req) => {
      const org = ctx.access.orgAdmin(req, req.params.org ?? '');
      const robot = robotOf(ctx, org, req);
      // One token row per robot, overwritten: the old token is invalid from this moment on.
      robot.token = robotToken();
      return { status: 200, body: robotView(org, robot, { token: true, metadata: false }) };
    },
    { creates: true },
  );
  server.route('GET', '/organization/:org/robots/:robot/permissions', (req) => robotPermissions(ctx, req));
}
