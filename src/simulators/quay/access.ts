import { SimError, type SimRequest } from '../core/server.ts';
import type { QuayScope, QuayState, Role, SimOrganization, SimRepository, SimToken } from './state.ts';

const RANK: Record<Role, number> = { read: 1, write: 2, admin: 3 };

/**
 * Quay's error bodies. ApiException (endpoints/exception.py) carries the RFC 7807-like keys plus
 * the deprecated `error_message`/`error_type`; an uncaught DataModelException is a bare `{message}`.
 */
export class QuayErrors {
  private readonly base: () => string;

  constructor(base: () => string) {
    this.base = base;
  }

  /** An ApiException body; `payload` keys come first, as in ApiException.to_dict. */
  body(status: number, title: string, detail: string, payload: object = {}): Record<string, unknown> {
    return {
      ...payload,
      detail,
      error_message: detail,
      error_type: title,
      title,
      type: `${this.base()}/api/v1/error/${title}`,
      status,
    };
  }

  /** 400 invalid_request. */
  invalidRequest(detail: string): SimError {
    return new SimError(400, this.body(400, 'invalid_request', detail));
  }

  /** 404 not_found. */
  notFound(): SimError {
    return new SimError(404, this.body(404, 'not_found', 'Not Found'));
  }

  /** 402 exceeds_license (endpoints/exception.py ExceedsLicenseException): the plan does not allow it. */
  exceedsLicense(): SimError {
    return new SimError(402, this.body(402, 'exceeds_license', 'Payment Required'));
  }

  /**
   * 400 `{message}`: a DataModelException no handler wraps in request_error (a missing robot, a
   * missing permission on GET, an invalid tag expiration); endpoints/decorated.py handle_dme.
   */
  model(message: string): SimError {
    return new SimError(400, { message });
  }

  /**
   * 403 `{error}`: a write (not GET or HEAD) without a valid OAuth token. Every /api/v1 resource is
   * wrapped in csrf_protect (endpoints/api/__init__.py `api.decorators`), which runs after
   * process_oauth: an invalid, expired or revoked Bearer token leaves the request anonymous, and an
   * anonymous write without a session's CSRF token fails verify_csrf (endpoints/csrf.py) with
   * util/http.py abort(403, message=...), whose body is `{"error": message}`. This happens before the
   * handler's own 401, so no write ever answers 401 to a bad token.
   */
  csrf(): SimError {
    return new SimError(403, { error: 'CSRF token was invalid or missing.' });
  }

  /** 401 invalid_token "Requires authentication", with the handler's payload (GET /user/ has one). */
  invalidToken(payload: object = {}): SimError {
    return new SimError(401, this.body(401, 'invalid_token', 'Requires authentication', payload));
  }

  /** Anonymous → 401 invalid_token; authenticated without rights (or scope, or org) → 403 insufficient_scope. */
  unauthorized(caller: SimToken | undefined): SimError {
    return caller
      ? new SimError(403, this.body(403, 'insufficient_scope', 'Unauthorized'))
      : this.invalidToken();
  }
}

/** The largest repository role a token's scopes allow (auth/permissions.py SCOPE_MAX_REPO_ROLES). */
function repoScopeCap(scopes: Set<QuayScope>): Role | undefined {
  if (scopes.has('repo:admin')) return 'admin';
  if (scopes.has('repo:write')) return 'write';
  if (scopes.has('repo:read')) return 'read';
  return undefined;
}

function cap(role: Role | undefined, limit: Role | undefined): Role | undefined {
  if (role === undefined || limit === undefined) return undefined;
  return RANK[role] <= RANK[limit] ? role : limit;
}

/** Permission checks as Quay runs them: before the handler looks anything up. */
export class QuayAccess {
  private readonly state: QuayState;
  readonly errors: QuayErrors;

  constructor(state: QuayState, errors: QuayErrors) {
    this.state = state;
    this.errors = errors;
  }

  /** The token's user, or undefined (anonymous) for a missing, unknown or non-Bearer credential. */
  caller(req: SimRequest): SimToken | undefined {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    return match?.[1] ? this.state.tokens.get(match[1]) : undefined;
  }

  /** The caller, or a 401. */
  user(req: SimRequest): SimToken {
    const caller = this.caller(req);
    if (!caller) throw this.errors.unauthorized(undefined);
    return caller;
  }

  /** Requires a scope (a missing one is a plain 403). */
  scope(caller: SimToken, scope: QuayScope): void {
    if (!caller.scopes.has(scope)) throw this.errors.unauthorized(caller);
  }

  /** Whether the caller administers the organization with an org:admin token. */
  isOrgAdmin(caller: SimToken | undefined, org: SimOrganization | undefined): boolean {
    return !!caller && !!org && caller.scopes.has('org:admin') && org.admins.has(caller.username);
  }

  /** The organization, for an org:admin token of one of its administrators; otherwise 401/403 (also when missing). */
  orgAdmin(req: SimRequest, name: string, scope: QuayScope = 'org:admin'): SimOrganization {
    const caller = this.user(req);
    const org = this.state.organizations.get(name);
    if (!org?.admins.has(caller.username) || !caller.scopes.has(scope))
      throw this.errors.unauthorized(caller);
    return org;
  }

  /** The caller's effective role on a repository, capped by the token's repo scopes. */
  role(
    caller: SimToken | undefined,
    org: SimOrganization,
    repo: SimRepository | undefined,
  ): Role | undefined {
    const limit = caller ? repoScopeCap(caller.scopes) : 'read';
    let role: Role | undefined;
    if (caller && org.admins.has(caller.username)) role = 'admin';
    else if (caller && repo) role = repo.permissions.get(caller.username);
    if (role === undefined && repo?.visibility === 'public') role = 'read';
    return cap(role, limit);
  }

  /**
   * Checks the caller has `needed` on `namespace/name`. Organization administrators pass for a
   * missing repository (the handler then answers 404); everyone else gets 403, as in Quay.
   */
  repository(
    req: SimRequest,
    namespace: string,
    name: string,
    needed: Role,
  ): { org: SimOrganization; repo: SimRepository | undefined } {
    const caller = this.caller(req);
    const org = this.state.organizations.get(namespace);
    if (!org) throw this.errors.unauthorized(caller);
    const repo = org.repositories.get(name);
    const role = this.role(caller, org, repo);
    if (role === undefined || RANK[role] < RANK[needed]) throw this.errors.unauthorized(caller);
    return { org, repo };
  }

  /** Like {@link repository}, but a missing repository is a 404. */
  existingRepository(req: SimRequest, namespace: string, name: string, needed: Role) {
    const { org, repo } = this.repository(req, namespace, name, needed);
    if (!repo) throw this.errors.notFound();
    return { org, repo };
  }
}
