/**
 * Quay answers whose status says something else than what happened, turned into the error that
 * does say it (used by api.ts). Each is pinned by a run against a real Quay v3.18.0 (issue 20).
 */
import { NotFoundError, ProviderError, ServerError, UnauthorizedError } from '../http/errors.ts';
import type { QuayApi } from './api.ts';

/** The `error` text of Quay's CSRF refusal (endpoints/csrf.py verify_csrf). */
const CSRF_REFUSAL = /CSRF token was invalid or missing/i;

/**
 * A write refused with 403 `{"error":"CSRF token was invalid or missing."}` as the
 * UnauthorizedError it is. Quay does not reject an invalid, expired or revoked OAuth token: it
 * treats the request as anonymous, and every /api/v1 write from an anonymous caller fails the CSRF
 * check (csrf_protect) before the handler could answer 401. Reported as a 403 it would read as
 * missing rights (ForbiddenError), and for Quay a 403 also means "the organization may not exist",
 * which callers probe for; the token is what is wrong. Undefined for any other error.
 */
export function csrfRefusal(err: unknown): UnauthorizedError | undefined {
  if (!(err instanceof ProviderError) || err.status !== 403 || !CSRF_REFUSAL.test(err.message))
    return undefined;
  const { provider, operation } = err.context;
  return new UnauthorizedError(
    `${provider} ${operation}: Quay refused the API token (the token key of the credentials Secret): ` +
      'it is invalid, expired or revoked, or not an OAuth access token at all (a robot token or an ' +
      'app-specific password). Quay answers a write with such a token HTTP 403 "CSRF token was ' +
      'invalid or missing", as it would a browser without a session',
    err.context,
    { cause: err },
  );
}

/**
 * Whether a failed `PUT .../permissions/user/{name}` may have hit a missing repository: Quay
 * v3.18.0 looks the repository up with an uncaught `get_existing_repository` there
 * (data/model/permission.py __set_entity_repo_permission), so a repository that does not exist is
 * an HTTP 500 with Flask's HTML error page, not a 404.
 */
export function mayBeMissingRepository(err: unknown): err is ServerError {
  return err instanceof ServerError && err.status === 500;
}

/**
 * After a grant's 500 ({@link mayBeMissingRepository}): a NotFoundError naming the repository when
 * a GET of it answers 404, else undefined (it exists, or the GET failed too: a server failure).
 */
export async function missingRepository(
  api: Pick<QuayApi, 'getRepository'>,
  organization: string,
  repository: string,
  err: ServerError,
): Promise<NotFoundError | undefined> {
  try {
    await api.getRepository(organization, repository);
    return undefined;
  } catch (probe) {
    if (!(probe instanceof NotFoundError)) return undefined;
  }
  const { provider, operation } = err.context;
  return new NotFoundError(
    `${provider} ${operation}: repository ${repository} does not exist in organization ${organization} ` +
      '(Quay answered the grant with HTTP 500)',
    err.context,
    { cause: err },
  );
}
