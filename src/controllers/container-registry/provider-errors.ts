import { CredentialsError } from '../../clients/factory.ts';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  ProviderError,
  RateLimitedError,
  UnauthorizedError,
} from '../../clients/http/errors.ts';
import { TerminalError, TransientError, WaitingError } from '../runtime/outcome.ts';
import { RegistryReason } from './reasons.ts';

/** How soon bad credentials are tried again: a fixed Secret takes effect within a minute. */
export const CREDENTIALS_RETRY_MS = 30_000;

/**
 * Turns a provider failure into the reconcile outcome it deserves: wrong credentials wait (they
 * recover by themselves once the Secret is fixed), a rejected request needs the user, a 429 waits
 * as long as the provider asked, everything else backs off. The provider's error stays the
 * outcome's `cause`, so a caller can still tell a 404 from a 500.
 */
export function outcomeOfProviderError(err: unknown, secretName: string): Error {
  const cause = { cause: err };
  if (err instanceof CredentialsError) {
    return new WaitingError(
      RegistryReason.AuthenticationFailed,
      `${err.message} (Secret ${secretName})`,
      CREDENTIALS_RETRY_MS,
      cause,
    );
  }
  if (err instanceof UnauthorizedError || err instanceof ForbiddenError) {
    return new WaitingError(
      RegistryReason.AuthenticationFailed,
      `the provider refused the credentials in Secret ${secretName}: ${err.message}`,
      CREDENTIALS_RETRY_MS,
      cause,
    );
  }
  if (err instanceof RateLimitedError) {
    return new WaitingError(RegistryReason.RateLimited, err.message, err.retryAfterMs ?? 30_000, cause);
  }
  if (err instanceof BadRequestError)
    return new TerminalError(RegistryReason.ProviderRejected, err.message, cause);
  if (err instanceof ConflictError)
    return new TerminalError(RegistryReason.AlreadyExists, err.message, cause);
  if (err instanceof ProviderError)
    return new TransientError(RegistryReason.ProviderError, err.message, cause);
  return err instanceof Error ? err : new Error(String(err));
}

/** Runs a provider call, converting its failures with {@link outcomeOfProviderError}. */
export async function providerCall<T>(secretName: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw outcomeOfProviderError(err, secretName);
  }
}
