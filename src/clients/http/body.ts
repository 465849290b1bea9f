import type { Readable } from 'node:stream';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The most berth reads of one response, per kind of call. A broken or hostile endpoint could
 * otherwise stream gigabytes into the operator's heap (shared by every tenant): past its limit a
 * response is abandoned (the connection is closed) and the call fails with a
 * ResponseTooLargeError. Each limit is far above what the real APIs send.
 */
export const RESPONSE_LIMITS = {
  /** A provider API's JSON answer (IONOS, Selectel and its Keystone, Quay): lists there are paged. */
  json: 8 * MiB,
  /** Quay's robot account list, which Quay does not page (about 400 bytes a robot). */
  unpaged: 32 * MiB,
  /** An OCI manifest: the distribution spec's recommended limit, which registries enforce on push. */
  manifest: 4 * MiB,
  /** An OCI catalog or tag list page, or a registry token answer. */
  registry: 8 * MiB,
  /**
   * An error answer (3xx, 4xx, 5xx): read this far for its message; the rest is dropped, so an
   * error body never fails a call by its size and its status keeps its meaning (a 404 stays a 404).
   */
  errorBody: 64 * KiB,
} as const;

/** `4 MiB`, `64 KiB`: how a limit is named in messages and docs. */
export function formatBytes(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} bytes`;
}

/**
 * Reads a response body up to `limit` bytes. Past the limit (or when Content-Length already says
 * more) the stream is destroyed, which aborts the request, and `fail` resolves undefined while
 * `truncate` resolves the first `limit` bytes.
 */
export async function readLimited(
  body: Readable,
  contentLength: string | string[] | undefined,
  limit: number,
  overflow: 'fail' | 'truncate',
): Promise<Buffer | undefined> {
  const declared = Number(Array.isArray(contentLength) ? contentLength[0] : contentLength);
  if (overflow === 'fail' && Number.isFinite(declared) && declared > limit) {
    body.destroy();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early destroys the stream (its async iterator's return), closing the socket.
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (size + buf.length > limit) {
      if (overflow === 'fail') return undefined;
      chunks.push(buf.subarray(0, limit - size));
      return Buffer.concat(chunks, limit);
    }
    chunks.push(buf);
    size += buf.length;
  }
  return Buffer.concat(chunks, size);
}
