import { SimError, type SimRequest } from '../core/server.ts';
import { avatar, jsonBody, type QuaySimContext, truthy, validRepositoryName } from './context.ts';
import { formatDate, isActive, type Role, type SimOrganization, type SimRepository } from './state.ts';

const ROLES: readonly Role[] = ['read', 'write', 'admin'];

/** data/model/permission.py's DataModelException for a user without a permission on the repository. */
const NO_PERMISSION = 'User does not have permission for repo.';

function summary(org: SimOrganization, repo: SimRepository, req: SimRequest) {
  const view: Record<string, unknown> = {
    namespace: org.name,
    name: repo.name,
    description: repo.description,
    is_public: repo.visibility === 'public',
    kind: 'image',
    state: 'NORMAL',
    is_starred: false,
  };
  if (truthy(req.query.get('last_modified'), false)) {
    const last = Math.max(0, ...repo.tags.map((t) => t.start));
    view.last_modified = last === 0 ? null : Math.floor(last / 1000);
  }
  if (truthy(req.query.get('popularity'), false)) view.popularity = 0;
  return view;
}

/** Quay's page token is opaque (encrypted); here it is base64url JSON of the offset. */
function decodePage(token: string | null): number {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown };
    return typeof parsed.offset === 'number' && parsed.offset >= 0 ? parsed.offset : 0;
  } catch {
    return 0;
  }
}

async function listRepositories(ctx: QuaySimContext, req: SimRequest) {
  const namespace = req.query.get('namespace');
  if (!namespace && !truthy(req.query.get('public'), false) && !truthy(req.query.get('starred'), false))
    throw ctx.errors.invalidRequest('namespace, starred or public are required for this API call');
  const caller = ctx.access.caller(req);
  const orgs = namespace
    ? [ctx.state.organizations.get(namespace)].filter((o): o is SimOrganization => o !== undefined)
    : [...ctx.state.organizations.values()];
  const visible = orgs.flatMap((org) =>
    [...org.repositories.values()]
      .filter((repo) => ctx.access.role(caller, org, repo) !== undefined)
      .filter((repo) => namespace || repo.visibility === 'public')
      .map((repo) => ({ org, repo })),
  );
  visible.sort((a, b) => `${a.org.name}/${a.repo.name}`.localeCompare(`${b.org.name}/${b.repo.name}`));
  const offset = decodePage(req.query.get('next_page'));
  const size = ctx.settings.repositoryPageSize;
  const page = visible.slice(offset, offset + size);
  // Only last_modified shows anything of the tags.
  if (truthy(req.query.get('last_modified'), false))
    await Promise.all(page.map(({ org, repo }) => ctx.mirror?.syncRepository(org, repo)));
  const body: Record<string, unknown> = {
    repositories: page.map(({ org, repo }) => summary(org, repo, req)),
  };
  if (offset + size < visible.length)
    body.next_page = Buffer.from(JSON.stringify({ offset: offset + size })).toString('base64url');
  return { status: 200, body };
}

function createRepository(ctx: QuaySimContext, req: SimRequest) {
  const caller = ctx.access.user(req);
  const body = jsonBody(ctx, req.body);
  for (const key of ['repository', 'visibility', 'description'])
    if (!(key in body)) throw ctx.errors.invalidRequest(`'${key}' is a required property`);
  const { namespace = caller.username, repository, visibility, description } = body;
  if (typeof namespace !== 'string' || typeof repository !== 'string' || typeof description !== 'string')
    throw ctx.errors.invalidRequest('namespace, repository and description must be strings');
  if (visibility !== 'public' && visibility !== 'private')
    throw ctx.errors.invalidRequest(`'${String(visibility)}' is not one of ['public', 'private']`);
  if (body.repo_kind !== undefined && body.repo_kind !== null && body.repo_kind !== 'image')
    throw ctx.errors.invalidRequest(`'${String(body.repo_kind)}' is not one of ['image', None]`);
  const org = ctx.state.organizations.get(namespace);
  if (!org?.admins.has(caller.username) || !caller.scopes.has('repo:create'))
    throw ctx.errors.unauthorized(caller);
  if (!validRepositoryName(repository, ctx.settings.extendedRepositoryNames))
    throw ctx.errors.invalidRequest('Invalid repository name');
  if (org.repositories.has(repository)) throw ctx.errors.invalidRequest('Repository already exists');
  // quay.io free plans have no private repositories: 402 exceeds_license (notes §3, §6).
  if (visibility === 'private' && ctx.settings.freePlan) throw ctx.errors.exceedsLicense();
  const repo = ctx.state.addRepository(org, repository, { visibility, description });
  // Quay gives the creating (non-organization) user admin on the new repository.
  repo.permissions.set(caller.username, 'admin');
  return { status: 201, body: { namespace: org.name, name: repo.name, kind: 'image' } };
}

async function repositoryView(ctx: QuaySimContext, req: SimRequest) {
  const { org, repo } = ctx.access.existingRepository(
    req,
    req.params.ns ?? '',
    req.params.repo ?? '',
    'read',
  );
  await ctx.mirror?.syncRepository(org, repo);
  const caller = ctx.access.caller(req);
  const role = ctx.access.role(caller, org, repo);
  const view: Record<string, unknown> = {
    ...summary(org, repo, req),
    is_organization: true,
    status_token: '',
    trust_enabled: false,
    tag_expiration_s: org.tagExpirationS,
    is_free_account: true,
    can_write: role === 'write' || role === 'admin',
    can_admin: role === 'admin',
  };
  if (truthy(req.query.get('includeTags'), true)) {
    const now = ctx.now();
    const tags: Record<string, unknown> = {};
    for (const tag of repo.tags.filter((t) => isActive(t, now)).slice(0, 500))
      tags[tag.name] = {
        name: tag.name,
        size: tag.size,
        last_modified: formatDate(tag.start),
        manifest_digest: tag.digest,
      };
    view.tags = tags;
  }
  return { status: 200, body: view };
}

function permissionView(org: SimOrganization, username: string, role: Role) {
  const isRobot = username.includes('+');
  return {
    role,
    name: username,
    is_robot: isRobot,
    avatar: avatar(username, isRobot ? 'robot' : 'user'),
    is_org_member: isRobot ? username.startsWith(`${org.name}+`) : org.admins.has(username),
  };
}

/**
 * What Quay answers for an uncaught exception: Flask's InternalServerError page. Its handlers reach
 * Flask's, not flask-restful's JSON one, because ApiExceptionHandlingApi routes errors of matched
 * routes back to the app (endpoints/api/__init__.py).
 */
function crashPage(): SimError {
  return new SimError(
    500,
    '<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n' +
      '<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to ' +
      'complete your request. Either the server is overloaded or there is an error in the application.</p>\n',
    { 'content-type': 'text/html; charset=utf-8' },
  );
}

function setPermission(ctx: QuaySimContext, req: SimRequest) {
  // An organization administrator passes the permission check for a repository that does not exist.
  const { org, repo } = ctx.access.repository(req, req.params.ns ?? '', req.params.repo ?? '', 'admin');
  const username = req.params.username ?? '';
  const role = jsonBody(ctx, req.body).role;
  if (typeof role !== 'string' || !ROLES.includes(role as Role))
    throw ctx.errors.invalidRequest(`'${String(role)}' is not one of ['read', 'write', 'admin']`);
  // set_user_repo_permission's DataModelExceptions reach the client through request_error: full
  // ApiException bodies (endpoints/api/permission.py put, `except SaveException`).
  if (username === org.name) throw ctx.errors.invalidRequest('Namespace owner must always be admin.');
  if (!ctx.state.userExists(username)) throw ctx.errors.invalidRequest(`Invalid username: ${username}`);
  if (username.includes('+') && !username.startsWith(`${org.name}+`))
    throw ctx.errors.invalidRequest(`Cannot add robot ${username} under namespace ${org.name}`);
  // data/model/permission.py __set_entity_repo_permission looks the repository up last, with an
  // uncaught get_existing_repository: a missing one is Repository.DoesNotExist, a crash (v3.18.0).
  if (!repo) throw crashPage();
  repo.permissions.set(username, role as Role);
  return { status: 200, body: permissionView(org, username, role as Role) };
}

/** `/repository` and `/repository/{ns}/{repo}[/permissions/user/...]`. */
export function registerRepositoryRoutes(ctx: QuaySimContext): void {
  const { server, access } = ctx;
  // Repository reads are public routes: anonymous callers see public repositories, as in Quay.
  server.route('GET', '/repository', (req) => listRepositories(ctx, req), { public: true });
  server.route('POST', '/repository', (req) => createRepository(ctx, req), { creates: true });
  server.route('GET', '/repository/:ns/:repo', (req) => repositoryView(ctx, req), { public: true });
  server.route('DELETE', '/repository/:ns/:repo', async (req) => {
    // An organization administrator may delete a repository that is already gone: 204 again.
    const { org, repo } = access.repository(req, req.params.ns ?? '', req.params.repo ?? '', 'admin');
    if (repo) await ctx.mirror?.deleteRepository(org, repo);
    if (repo) org.repositories.delete(repo.name);
    return { status: 204 };
  });
  server.route('GET', '/repository/:ns/:repo/permissions/user/', (req) => {
    const { org, repo } = access.existingRepository(req, req.params.ns ?? '', req.params.repo ?? '', 'admin');
    const permissions: Record<string, unknown> = {};
    for (const [username, role] of repo.permissions)
      permissions[username] = permissionView(org, username, role);
    return { status: 200, body: { permissions } };
  });
  server.route('PUT', '/repository/:ns/:repo/permissions/user/:username', (req) => setPermission(ctx, req));
  // Both look the permission up by repository name: a missing repository has none (no 404). GET
  // lets the DataModelException through ({message}); DELETE wraps it in request_error (full body).
  server.route('GET', '/repository/:ns/:repo/permissions/user/:username', (req) => {
    const { org, repo } = access.repository(req, req.params.ns ?? '', req.params.repo ?? '', 'admin');
    const role = repo?.permissions.get(req.params.username ?? '');
    if (!role) throw ctx.errors.model(NO_PERMISSION);
    return { status: 200, body: permissionView(org, req.params.username ?? '', role) };
  });
  server.route('DELETE', '/repository/:ns/:repo/permissions/user/:username', (req) => {
    const { org, repo } = access.repository(req, req.params.ns ?? '', req.params.repo ?? '', 'admin');
    const username = req.params.username ?? '';
    if (username === org.name) throw ctx.errors.invalidRequest('Namespace owner must always be admin.');
    if (!repo?.permissions.delete(username)) throw ctx.errors.invalidRequest(NO_PERMISSION);
    return { status: 204 };
  });
}
