import type { SimRequest } from '../core/server.ts';
import { avatar, jsonBody, NAMESPACE_NAME, type QuaySimContext } from './context.ts';
import type { SimOrganization, SimToken } from './state.ts';

/** The organization view: the public part for everyone, teams and settings for administrators. */
export function organizationView(
  ctx: QuaySimContext,
  org: SimOrganization,
  caller: SimToken | undefined,
): Record<string, unknown> {
  const isAdmin = ctx.access.isOrgAdmin(caller, org);
  const isMember = !!caller && org.admins.has(caller.username);
  const view: Record<string, unknown> = {
    name: org.name,
    email: isAdmin ? org.email : '',
    avatar: avatar(org.name, 'org'),
    is_admin: isAdmin,
    is_member: isMember,
  };
  if (!isAdmin) return view;
  return {
    ...view,
    teams: {
      owners: {
        name: 'owners',
        description: '',
        role: 'admin',
        avatar: avatar('owners', 'user'),
        can_view: true,
        repo_count: 0,
        member_count: org.admins.size,
        is_synced: false,
      },
    },
    ordered_teams: ['owners'],
    invoice_email: false,
    invoice_email_address: null,
    tag_expiration_s: org.tagExpirationS,
    is_free_account: true,
  };
}

function userView(ctx: QuaySimContext, user: SimToken): Record<string, unknown> {
  const organizations = [...ctx.state.organizations.values()]
    .filter((org) => org.admins.has(user.username))
    .map((org) => ({
      name: org.name,
      avatar: avatar(org.name, 'org'),
      can_create_repo: true,
      public: false,
      is_org_admin: true,
      preferred_namespace: false,
    }));
  return {
    anonymous: false,
    username: user.username,
    avatar: avatar(user.username, 'user'),
    can_create_repo: true,
    is_me: true,
    verified: true,
    email: `${user.username}@example.com`,
    logins: [],
    invoice_email: false,
    invoice_email_address: null,
    preferred_namespace: false,
    tag_expiration_s: 1_209_600,
    prompts: [],
    company: '',
    family_name: null,
    given_name: null,
    location: null,
    is_free_account: true,
    has_password_set: true,
    organizations,
  };
}

function createOrganization(ctx: QuaySimContext, req: SimRequest) {
  const caller = ctx.access.user(req);
  ctx.access.scope(caller, 'user:admin');
  const body = jsonBody(ctx, req.body);
  const { name, email } = body;
  // NewOrg (quay-api.swagger.json): "required": ["name", "email"]; validate_json_request answers
  // the jsonschema message as a 400 invalid_request. (Newer Quay source relaxed it, notes §11.)
  for (const key of ['name', 'email'])
    if (!(key in body)) throw ctx.errors.invalidRequest(`'${key}' is a required property`);
  if (typeof name !== 'string') throw ctx.errors.invalidRequest("'name' is not of type 'string'");
  if (typeof email !== 'string') throw ctx.errors.invalidRequest("'email' is not of type 'string'");
  if (name.length < 2 || name.length > 255 || !NAMESPACE_NAME.test(name))
    throw ctx.errors.invalidRequest('Invalid organization name');
  if (ctx.state.organizations.has(name) || ctx.state.users.has(name))
    throw ctx.errors.invalidRequest('A user or organization with this name already exists');
  ctx.state.addOrganization(name, { admins: [caller.username], email });
  return { status: 201, body: 'Created' };
}

function updateOrganization(ctx: QuaySimContext, req: SimRequest) {
  const org = ctx.access.orgAdmin(req, req.params.org ?? '');
  const body = jsonBody(ctx, req.body);
  if ('tag_expiration_s' in body) {
    const value = body.tag_expiration_s;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      throw ctx.errors.invalidRequest("'tag_expiration_s' must be a non-negative integer");
    if (!ctx.settings.tagExpirationOptions.includes(value))
      throw ctx.errors.invalidRequest('Invalid tag expiration');
    org.tagExpirationS = value;
  }
  if (typeof body.email === 'string') org.email = body.email;
  return { status: 200, body: organizationView(ctx, org, ctx.access.caller(req)) };
}

/** `/user/` and `/organization/...`. */
export function registerOrganizationRoutes(ctx: QuaySimContext): void {
  const { server } = ctx;
  server.route('GET', '/user/', (req) => ({ status: 200, body: userView(ctx, ctx.access.user(req)) }));
  server.route('POST', '/organization/', (req) => createOrganization(ctx, req), { creates: true });
  // Public: Quay answers anyone (even an invalid token) with the public view; only here a missing org is 404.
  server.route(
    'GET',
    '/organization/:org',
    (req) => {
      const org = ctx.state.organizations.get(req.params.org ?? '');
      if (!org) throw ctx.errors.notFound();
      return { status: 200, body: organizationView(ctx, org, ctx.access.caller(req)) };
    },
    { public: true },
  );
  server.route('PUT', '/organization/:org', (req) => updateOrganization(ctx, req));
  server.route('DELETE', '/organization/:org', (req) => {
    const org = ctx.access.orgAdmin(req, req.params.org ?? '');
    ctx.state.organizations.delete(org.name);
    return { status: 204 };
  });
}
