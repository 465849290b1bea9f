import {
  BadRequestError,
  ConflictError,
  CredentialsError,
  ForbiddenError,
  ProviderError,
  RateLimitedError,
  UnauthorizedError,
} from '../../clients/provider.ts';
import { TerminalError, TransientError, WaitingError } from '../runtime/outcome.ts';

/** Condition reasons for provider failures, shared by the three kinds. */
export const ProviderReason = {
  /** The provider refused the credentials (401/403), or the Secret lacks keys. */
  AuthenticationFailed: 'AuthenticationFailed',
  /** The object exists at the provider and berth may not take it over. */
  AlreadyExists: 'AlreadyExists',
  /** The provider rejected the desired settings (400). */
  ProviderRejected: 'ProviderRejected',
  /** The provider asked us to slow down. */
  RateLimited: 'RateLimited',
  /** The provider failed (5xx, connection, timeout, unexpected body). */
  ProviderError: 'ProviderError',
} as const;

/** How soon bad credentials are tried again: a fixed Secret takes effect within a minute. */
export const CREDENTIALS_RETRY_MS = 30_000;

/**
 * Turns a provider failure into the reconcile outcome it deserves: wrong credentials wait (they
 * recover by themselves once the Secret is fixed), a rejected request needs the user, a 429 waits
 * as long as the provider asked, everything else backs off. The provider's error stays the
 * outcome's `cause`, so a caller can still tell a 404 from a 500.
 */
export function outcomeOfProviderError(err: unknown, secretName: string): Error {
  const where = credentialsPhrase(secretName);
  const cause = { cause: err };
  if (err instanceof CredentialsError) {
    return new WaitingError(
      ProviderReason.AuthenticationFailed,
      `${err.message} (${where})`,
      CREDENTIALS_RETRY_MS,
      cause,
    );
  }
  if (err instanceof UnauthorizedError || err instanceof ForbiddenError) {
    return new WaitingError(
      ProviderReason.AuthenticationFailed,
      `the provider refused the credentials in ${where}: ${err.message}`,
      CREDENTIALS_RETRY_MS,
      cause,
    );
  }
  if (err instanceof RateLimitedError) {
    return new WaitingError(ProviderReason.RateLimited, err.message, err.retryAfterMs ?? 30_000, cause);
  }
  if (err instanceof BadRequestError)
    return new TerminalError(ProviderReason.ProviderRejected, err.message, cause);
  if (err instanceof ConflictError)
    return new TerminalError(ProviderReason.AlreadyExists, err.message, cause);
  if (err instanceof ProviderError)
    return new TransientError(ProviderReason.ProviderError, err.message, cause);
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * How a message names the provider credentials: `Secret <name>` for a Secret name, or the phrase
 * given instead to a referrer in another namespace, which is not told the Secret's name
 * ({@link credentialsOf}).
 */
function credentialsPhrase(secretName: string): string {
  return secretName.includes(' ') ? secretName : `Secret ${secretName}`;
}

/**
 * What provider errors call the registry's credentials when seen from `referrerNamespace`: the
 * Secret's name in the registry's own namespace, else a phrase that names only the registry.
 */
export function credentialsOf(
  registry: { namespace: string; name: string; secret: string },
  referrerNamespace: string,
): string {
  return registry.namespace === referrerNamespace
    ? registry.secret
    : `the credentials of ContainerRegistry ${registry.namespace}/${registry.name}`;
}

/** Runs a provider call, converting its failures with {@link outcomeOfProviderError}. */
export async function providerCall<T>(secretName: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw outcomeOfProviderError(err, secretName);
  }
}
