/**
 * Quay answers whose status says something else than what happened, turned into the error that
 * does say it (used by api.ts). Each is pinned by a run against a real Quay v3.18.0 (issue 20).
 */
import { ProviderError, UnauthorizedError } from '../http/errors.ts';

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
      'it is invalid, expired or revoked. Quay answers a write with such a token HTTP 403 "CSRF token ' +
      'was invalid or missing", as it would a browser without a session',
    err.context,
    { cause: err },
  );
}
