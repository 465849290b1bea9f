/**
 * CRaaS's cleanup (`POST .../repositories/{name}/cleanup`) and the removal of images that it and
 * the image DELETE share. With a registry attached, images bound to it are deleted there by digest
 * first, so a pull of what cleanup reported deleted fails afterwards.
 */
import { craasError } from './http-util.ts';
import type { SelectelRegistryMirror } from './registry-mirror.ts';
import { imageSize, type SimImage, type SimRegistry, type SimRepository, type SimState } from './state.ts';

/** What cleanup answers: each image deleted or failed, with every tag it had. */
export interface CleanupResult {
  deleted: { digest: string; tags: string[] }[];
  failed: { digest: string; error: string; tags: string[] }[];
}

/** Removes images from a repository: in the registry when bound to it, then from the state. */
export async function removeImages(
  state: SimState,
  mirror: SelectelRegistryMirror | undefined,
  reg: SimRegistry,
  repo: SimRepository,
  images: SimImage[],
): Promise<void> {
  if (images.length === 0) return;
  await mirror?.deleteImages(reg, repo.name, images);
  repo.images = repo.images.filter((i) => !images.includes(i));
  for (const image of images) reg.garbageBytes += imageSize(image);
  repo.updatedAt = state.now();
  repo.removedAt = repo.updatedAt;
}

/**
 * Removes digests and tags, reporting each image in `deleted` or `failed`. Unknown items fail with
 * a "not found" error (UNVERIFIED: the seed shows only the "referenced" failure). Unless
 * `disable_gc` is true, a cleanup that deleted something starts a garbage collection.
 *
 * A tag is removed with its image: the seed says the endpoint "Removes specified tags and images"
 * and answers per image (`digest` with all its `tags`), never per tag, so it does not say that a
 * tag can go while its image stays. The simulator takes the harmful reading, because that is the
 * one clients must be safe against: deleting one tag of a multi-tag image deletes the image and
 * every other tag on it.
 */
export async function cleanup(
  state: SimState,
  mirror: SelectelRegistryMirror | undefined,
  reg: SimRegistry,
  repo: SimRepository,
  body: Record<string, unknown>,
): Promise<CleanupResult> {
  const strings = (value: unknown, key: string): string[] => {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
      throw craasError(400, `${key} must be an array of strings.`);
    return value as string[];
  };
  const digests = strings(body.digests, 'digests');
  const tags = strings(body.tags, 'tags');
  if (body.disable_gc !== undefined && typeof body.disable_gc !== 'boolean')
    throw craasError(400, 'disable_gc must be a boolean.');
  if (digests.length === 0 && tags.length === 0) throw craasError(400, 'Nothing to clean up.');
  const result: CleanupResult = { deleted: [], failed: [] };
  const going: SimImage[] = [];
  const remove = (image: SimImage) => {
    if (image.lockedBy)
      result.failed.push({ digest: image.digest, error: image.lockedBy, tags: [...image.tags] });
    else {
      result.deleted.push({ digest: image.digest, tags: [...image.tags] });
      going.push(image);
    }
  };
  const reported = (digest: string) => [...result.deleted, ...result.failed].some((d) => d.digest === digest);
  for (const digest of digests) {
    const image = repo.images.find((i) => i.digest === digest);
    if (image) {
      if (!reported(digest)) remove(image);
    } else if (!reported(digest)) result.failed.push({ digest, error: 'Image not found.', tags: [] });
  }
  for (const tag of tags) {
    const image = repo.images.find((i) => i.tags.includes(tag));
    // A tag whose image this request already removed (or refused) is reported with that image.
    if (image) {
      if (!reported(image.digest)) remove(image);
    } else if (![...result.deleted, ...result.failed].some((d) => d.tags.includes(tag))) {
      result.failed.push({ digest: '', error: 'Tag not found.', tags: [tag] });
    }
  }
  await removeImages(state, mirror, reg, repo, going);
  if (result.deleted.length > 0 && body.disable_gc !== true) state.startCollection(reg, false);
  return result;
}
