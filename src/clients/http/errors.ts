/** Which provider API a request went to. */
export type ProviderName = 'ionos' | 'selectel' | 'quay';

/** What every provider error carries: where it happened, never a credential. */
export interface ProviderErrorContext {
  provider: ProviderName;
  /** The logical operation, e.g. `tokens.create`. */
  operation: string;
  /** HTTP method and path without query string. */
  method: string;
  path: string;
  status?: number;
  /** The provider's own error code, when its body has one. */
  code?: string;
  requestId?: string;
}

/**
 * Longest message of a provider error. Messages reach Ready conditions, events and the CLI, which
 * the tenants of a shared registry read; a provider (or an endpoint posing as one) must not be
 * able to fill them.
 */
export const MAX_ERROR_MESSAGE = 1_000;

/** Longest part of a provider's own words (an error body's message) in an error message. */
export const ERROR_SNIPPET_LENGTH = 200;

/** Redaction sees this much of a provider's text: more than any credential is long, less than a body. */
const SNIPPET_SCAN = 4_096;

/** `text` cut to `max` characters, marked with an ellipsis when something was cut. */
function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A provider's error text as it may appear in a message: redacted (before anything is cut, so no
 * part of a secret survives), on one line without control characters, at most
 * {@link ERROR_SNIPPET_LENGTH} characters.
 */
export function errorSnippet(text: string, redactor: { redact(text: string): string }): string {
  const clean = redactor
    .redact(text.slice(0, SNIPPET_SCAN))
    .replace(/[\p{Cc}\s]+/gu, ' ')
    .trim();
  return cut(clean, ERROR_SNIPPET_LENGTH);
}

/** Base of every provider failure. Messages are built from safe parts only (see redact.ts). */
export class ProviderError extends Error {
  override readonly name: string = 'ProviderError';
  readonly context: ProviderErrorContext;
  constructor(message: string, context: ProviderErrorContext, options?: ErrorOptions) {
    super(cut(message, MAX_ERROR_MESSAGE), options);
    this.context = context;
  }
  /** Convenience: the HTTP status, if the provider answered. */
  get status(): number | undefined {
    return this.context.status;
  }
}

/** 400/422: the request is invalid; retrying the same request cannot help. */
export class BadRequestError extends ProviderError {
  override readonly name = 'BadRequestError';
}
/** 401: credentials missing, wrong or expired. */
export class UnauthorizedError extends ProviderError {
  override readonly name = 'UnauthorizedError';
}
/** 403: authenticated but not allowed (or, for Quay, an organization that does not exist). */
export class ForbiddenError extends ProviderError {
  override readonly name = 'ForbiddenError';
}
/** 404: the resource does not exist (or no longer: IONOS deletes expired tokens). */
export class NotFoundError extends ProviderError {
  override readonly name = 'NotFoundError';
}
/** 409: the resource exists already, or is busy (Selectel garbage collection running). */
export class ConflictError extends ProviderError {
  override readonly name: string = 'ConflictError';
}
/** 429: slow down; `retryAfterMs` is the provider's hint when it gave one. */
export class RateLimitedError extends ProviderError {
  override readonly name = 'RateLimitedError';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, context: ProviderErrorContext, retryAfterMs: number | undefined) {
    super(message, context);
    this.retryAfterMs = retryAfterMs;
  }
}
/** 5xx: the provider failed. */
export class ServerError extends ProviderError {
  override readonly name = 'ServerError';
}
/** The connection failed or was reset before a response arrived. */
export class ConnectionError extends ProviderError {
  override readonly name = 'ConnectionError';
}
/** No response within the request timeout. */
export class TimeoutError extends ProviderError {
  override readonly name = 'TimeoutError';
}
/** The provider answered 2xx with a body that does not match the expected schema. */
export class SchemaMismatchError extends ProviderError {
  override readonly name = 'SchemaMismatchError';
}

/**
 * The response was larger than berth reads for this kind of call (see RESPONSE_LIMITS in
 * body.ts): berth stopped reading and closed the connection. Retrying the same call cannot help.
 */
export class ResponseTooLargeError extends ProviderError {
  override readonly name = 'ResponseTooLargeError';
}

/**
 * A 3xx answer. berth follows no redirect (the request carries credentials, and a redirected
 * DELETE is not a done DELETE) and never counts one as success; the endpoint is probably wrong.
 */
export class RedirectError extends ProviderError {
  override readonly name = 'RedirectError';
}

/**
 * The {@link RedirectError} of a 3xx answer to `what` (`quay robots.delete`), naming where it
 * pointed by origin only: a redirect's path or query can carry a token.
 */
export function redirectError(
  what: string,
  status: number,
  location: string | undefined,
  from: URL | string,
  context: ProviderErrorContext,
): RedirectError {
  let target = '';
  try {
    const origin = location ? new URL(location, from).origin : 'null';
    if (origin !== 'null') target = ` to ${origin}`;
  } catch {
    // An unparseable Location names nothing worth showing.
  }
  return new RedirectError(
    `${what}: the server answered HTTP ${status}, a redirect${target}; berth follows no redirects and ` +
      'does not take one for success: check the endpoint URL',
    { ...context, status },
  );
}

/** Picks the error class for an HTTP status. */
export function errorForStatus(
  status: number,
  message: string,
  context: ProviderErrorContext,
  retryAfterMs?: number,
): ProviderError {
  if (status === 400 || status === 422) return new BadRequestError(message, context);
  if (status === 401) return new UnauthorizedError(message, context);
  if (status === 403) return new ForbiddenError(message, context);
  if (status === 404 || status === 410) return new NotFoundError(message, context);
  if (status === 409) return new ConflictError(message, context);
  if (status === 429) return new RateLimitedError(message, context, retryAfterMs);
  if (status >= 500) return new ServerError(message, context);
  if (status >= 300 && status < 400) return new RedirectError(message, context);
  return new ProviderError(message, context);
}

/** True for a {@link NotFoundError}. */
export function isNotFound(err: unknown): err is NotFoundError {
  return err instanceof NotFoundError;
}
