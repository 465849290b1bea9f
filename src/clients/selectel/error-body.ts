import type { ErrorDetails } from '../http/client.ts';

/**
 * Reads the message of a CRaaS or Keystone error body. The shapes are not uniform (see the notes):
 * `{"error": "Registry not found."}` in the seed, `{"error": {"id", "message"}}` in craas-go,
 * `{"message": "..."}` on 500, Keystone's `{"error": {"code", "title", "message"}}`, or no body at
 * all. Callers key on the HTTP status; this only adds a readable detail.
 */
export function parseSelectelError(body: unknown): ErrorDetails {
  // Cut later, after redaction (errorSnippet): cutting first could leave half a secret unmatched.
  if (typeof body === 'string') return { message: body };
  if (typeof body !== 'object' || body === null) return {};
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'string') return { message: error };
  if (typeof error === 'object' && error !== null) {
    const nested = error as Record<string, unknown>;
    const message = stringOf(nested.message) ?? stringOf(nested.title);
    const code = stringOf(nested.id) ?? stringOf(nested.code);
    return { message, code };
  }
  return { message: stringOf(record.message) };
}

function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}
