/**
 * IONOS error bodies and adapter-made errors. 1.0 endpoints answer `ApiErrorResponse`
 * `{httpStatus, messages:[{errorCode, message}]}`, 1.1+ the same with every field optional, and the
 * docs show a bare `{msg}` for a missing token: the parser accepts all of them.
 */
import type { ErrorDetails } from '../http/client.ts';
import type { ProviderError, ProviderErrorContext } from '../http/errors.ts';
import { ErrorBodySchema } from './schemas.ts';

/** Extracts message and code from either error body shape IONOS sends. */
export function parseIonosError(body: unknown): ErrorDetails {
  const parsed = ErrorBodySchema.safeParse(body);
  // Cut later, after redaction (errorSnippet): cutting first could leave half a secret unmatched.
  if (!parsed.success) return typeof body === 'string' ? { message: body } : {};
  const { messages, msg, message } = parsed.data;
  const texts = (messages ?? []).map((m) => m.message).filter((m): m is string => !!m);
  const code = messages?.find((m) => m.errorCode !== undefined && m.errorCode !== null)?.errorCode;
  return {
    message: texts.length > 0 ? texts.join('; ') : (msg ?? message ?? undefined),
    code: code === undefined || code === null ? undefined : String(code),
  };
}

/** An error raised by the adapter itself (e.g. an unknown location), shaped like the API's. */
export function localError<E extends ProviderError>(
  Kind: new (message: string, context: ProviderErrorContext) => E,
  status: number,
  operation: string,
  path: string,
  message: string,
): E {
  return new Kind(`ionos ${operation} failed: ${message}`, {
    provider: 'ionos',
    operation,
    method: 'LOCAL',
    path,
    status,
  });
}
