import { ProviderError } from '../http/errors.ts';
import { DIGEST_PATTERN } from './schemas.ts';

/**
 * 405 on a manifest DELETE: the registry has deletes disabled (distribution's
 * `storage.delete.enabled: false`, answered with `UNSUPPORTED`). Retrying cannot help; the
 * registry's operator must enable deletes before a cleanup policy can remove anything.
 */
export class DeletesDisabledError extends ProviderError {
  override readonly name = 'DeletesDisabledError';
}

/**
 * A manifest whose bytes do not hash to the digest the request named or the registry reported:
 * a broken or tampered registry or proxy. Never act (delete) on such a manifest.
 */
export class DigestMismatchError extends ProviderError {
  override readonly name = 'DigestMismatchError';
}

/**
 * A registry's authentication challenge named a token realm that must not get the credentials
 * (see realmRefusal in origin.ts). Nothing was sent there; the message names the realm's host.
 */
export class RealmRefusedError extends ProviderError {
  override readonly name = 'RealmRefusedError';
}

/** Repository names per the distribution spec: lower-case path components. */
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
/** Tags per the distribution spec. */
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** True for a digest reference such as `sha256:…`. */
export function isDigest(reference: string): boolean {
  return DIGEST_PATTERN.test(reference);
}

/**
 * Throws a TypeError for a repository name or reference the distribution grammar forbids. Names go
 * into URL paths unencoded (their `/` is part of the route), so this check is what keeps a name
 * like `../x` or `a?b` from reaching the registry as a different request.
 */
export function checkReference(repository: string, reference?: string, digestOnly = false): void {
  if (!REPOSITORY.test(repository) || repository.length > 255)
    throw new TypeError(`invalid repository name ${JSON.stringify(repository.slice(0, 100))}`);
  if (reference === undefined) return;
  if (digestOnly ? !isDigest(reference) : !isDigest(reference) && !TAG.test(reference))
    throw new TypeError(
      `invalid ${digestOnly ? 'digest' : 'reference'} ${JSON.stringify(reference.slice(0, 100))}`,
    );
}
