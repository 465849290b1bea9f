import type { SimRequest } from '../core/server.ts';
import { avatar, jsonBody, NAMESPACE_NAME, type QuaySimContext } from './context.ts';
import { type SimOrganization, type SimToken, userEmail } from './state.ts';

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
    email: userEmail(user.username),
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
    // Only for a superuser whose token has the super:user scope (user_view: SuperUserPermission),
    // which Quay grants superusers only: here, any token with that scope.
    ...(user.scopes.has('super:user') ? { super_user: true } : {}),
  };
}

/** util/validation.py validate_email: one `@`, a local part, a domain of two or more labels. */
function looksLikeEmail(address: string): boolean {
  const parts = address.split('@');
  if (address.length > 254 || parts.length !== 2 || !parts[0] || !parts[1]) return false;
  const labels = parts[1].split('.');
  return labels.length >= 2 && labels.every((label) => label !== '');
}

/**
 * The e-mail a new organization gets, or the 400 Quay answers for it (options.ts
 * `organizationEmailRules` says where each rule is in Quay's source).
 */
function organizationEmail(ctx: QuaySimContext, body: Record<string, unknown>): string {
  for (const key of ['email', 'contact_email'])
    if (key in body && typeof body[key] !== 'string')
      throw ctx.errors.invalidRequest(`${JSON.stringify(body[key])} is not of type 'string'`);
  const given = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : '');
  const users = [...ctx.state.users].map(userEmail);
  if (ctx.settings.organizationEmailRules === '3.17') {
    // v3.17.0: `if features.MAILING and not org_data.get("email")`, then create_user_noverify checks
    // the address (email_required=MAILING) and that no user or organization has it.
    const email = given('email');
    if (ctx.settings.mailing && !email) throw ctx.errors.invalidRequest('Email address is required');
    if (ctx.settings.mailing && !looksLikeEmail(email))
      throw ctx.errors.invalidRequest(`Invalid email address: ${email}`);
    const orgs = [...ctx.state.organizations.values()].map((org) => org.email);
    if (email && [...users, ...orgs].includes(email))
      throw ctx.errors.invalidRequest(`Email has already been used: ${email}`);
    return email;
  }
  // v3.18.0: `email = org_data.get("contact_email") or org_data.get("email")`, checked only when
  // given; create_organization refuses a user's address unless FEATURE_ORG_SHARED_EMAIL (default
  // off, not simulated) and lets organizations share one. FEATURE_MAILING is passed on as
  // email_required, which only re-checks a given address: it makes none required.
  const email = given('contact_email') || given('email');
  if (email && !looksLikeEmail(email)) throw ctx.errors.invalidRequest('Invalid email address');
  if (email && users.includes(email))
    throw ctx.errors.invalidRequest(`Email has already been used: ${email}`);
  return email;
}

function createOrganization(ctx: QuaySimContext, req: SimRequest) {
  const caller = ctx.access.user(req);
  ctx.access.scope(caller, 'user:admin');
  const body = jsonBody(ctx, req.body);
  const { name } = body;
  // NewOrg at v3.18.0 requires only `name` (the saved spec, an older one, also lists `email`).
  if (!('name' in body)) throw ctx.errors.invalidRequest("'name' is a required property");
  if (typeof name !== 'string') throw ctx.errors.invalidRequest("'name' is not of type 'string'");
  if (ctx.state.organizations.has(name) || ctx.state.users.has(name))
    throw ctx.errors.invalidRequest('A user or organization with this name already exists');
  const email = organizationEmail(ctx, body);
  if (name.length < 2 || name.length > 255 || !NAMESPACE_NAME.test(name))
    throw ctx.errors.invalidRequest('Invalid organization name');
  ctx.state.addOrganization(name, { admins: [caller.username], email });
  return { status: 201, body: 'Created' };
}

function updateOrganization(ctx: QuaySimContext, req: SimRequest) {
  const org = ctx.access.orgAdmin(req, req.params.org ?? '');
  const body = jsonBody(ctx, req.body);
  const expiration = body.tag_expiration_s;
  // UpdateOrg's JSON schema ("type": "integer", "minimum": 0) answers with jsonschema's message.
  if ('tag_expiration_s' in body && (typeof expiration !== 'number' || !Number.isInteger(expiration)))
    throw ctx.errors.invalidRequest(`${JSON.stringify(expiration)} is not of type 'integer'`);
  if (typeof expiration === 'number' && expiration < 0)
    throw ctx.errors.invalidRequest(`${expiration} is less than the minimum of 0`);
  if ('contact_email' in body || 'email' in body) {
    const email = ('contact_email' in body ? body.contact_email : body.email) || '';
    if (typeof email !== 'string') throw ctx.errors.invalidRequest("'email' is not of type 'string'");
    if (email && !looksLikeEmail(email)) throw ctx.errors.invalidRequest('Invalid email address');
    org.email = email;
  }
  if (typeof expiration === 'number') {
    // data/model/user.py change_user_tag_expiration raises a DataModelException, which no handler
    // turns into an ApiException: the body is a bare {message} (endpoints/decorated.py handle_dme).
    if (!ctx.settings.tagExpirationOptions.includes(expiration))
      throw ctx.errors.model('Invalid tag expiration option');
    org.tagExpirationS = expiration;
  }
  return { status: 200, body: organizationView(ctx, org, ctx.access.caller(req)) };
}

/** `/user/` and `/organization/...`. */
export function registerOrganizationRoutes(ctx: QuaySimContext): void {
  const { server } = ctx;
  // Public as in Quay (@anon_allowed): the handler itself answers an anonymous caller, with the
  // payload {"session_required": false} in its InvalidToken (endpoints/api/user.py User.get).
  server.route(
    'GET',
    '/user/',
    (req) => {
      const caller = ctx.access.caller(req);
      if (!caller) throw ctx.errors.invalidToken({ session_required: false });
      return { status: 200, body: userView(ctx, caller) };
    },
    { public: true },
  );
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
