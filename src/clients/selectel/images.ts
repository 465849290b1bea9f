import { currentTagsOf } from '../current-tags.ts';
import { encodePath } from '../http/client.ts';
import { ConflictError } from '../http/errors.ts';
import type {
  Artifact,
  CurrentTags,
  DeleteResult,
  GarbageCollection,
  Images,
  TokenRegistry,
  WantedNow,
} from '../provider.ts';
import { listingGuard, paginate } from './api.ts';
import { assertTokenRegistry, type SelectelContext } from './context.ts';
import { type ListingPage, repositoryPath } from './listings.ts';
import { latestPushTimes } from './push-time.ts';
import type { CleanupResult, Image, Repository } from './schemas.ts';

/** Items per cleanup request, so one call stays small. */
const CLEANUP_BATCH = 50;

/** A `failed` entry for something already gone: deleting twice is not a failure (idempotency). */
const ALREADY_GONE = /not found|does not exist|unknown (tag|digest|manifest)/i;

/**
 * Repositories and images of a CRaaS registry. Deletes go through `/cleanup` with `disable_gc`
 * set: a cleanup otherwise starts a garbage collection, which makes every later delete answer 409
 * until it ends. Collections are started separately ({@link SelectelGarbageCollection}).
 *
 * There is no `deleteTags`: the seed's cleanup "Removes specified tags and images" and answers per
 * image, so deleting one tag may delete the image with every other tag on it. Until the API is
 * shown to remove only the tag, berth never sends a tag to it; a manifest whose tags all go is
 * deleted by digest instead.
 */
export class SelectelImages implements Images {
  private readonly ctx: SelectelContext;

  constructor(ctx: SelectelContext) {
    this.ctx = ctx;
  }

  /** Every repository name (paged; v2, or v1 where v2 is missing: listings.ts). */
  async *listRepositories(registry: TokenRegistry): AsyncIterable<string> {
    assertTokenRegistry(this.ctx, registry);
    const { listings } = this.ctx.api;
    const pages = paginate(
      this.ctx.pageSize,
      async (offset, limit) =>
        this.reported(await listings.repositories(registry.externalId, { limit, offset }), 'repository'),
      listingGuard(
        'repositories.list',
        `/${listings.usesV1 ? 'v1' : 'v2'}${encodePath`/registries/${registry.externalId}/repositories`}`,
        (r: Repository) => r.name,
      ),
    );
    for await (const repository of pages) yield repository.name;
  }

  /**
   * Every image of a repository with its tags, size and latest possible push time (see
   * push-time.ts: the image's `createdAt` is its config's, not its push's). The repository is read
   * after the images, so its `updatedAt` is no earlier than any listed image's push.
   */
  async *listArtifacts(registry: TokenRegistry, repository: string): AsyncIterable<Artifact> {
    assertTokenRegistry(this.ctx, registry);
    const images: Image[] = [];
    for await (const image of this.images(registry, repository)) images.push(image);
    const { updatedAt } = await this.ctx.api.getRepository(registry.externalId, repository);
    // An image without a config time has an unknown push time: the planner keeps it.
    const pushed = latestPushTimes(
      images.map((image) => image.createdAt ?? ''),
      updatedAt,
    );
    for (const [i, image] of images.entries()) {
      yield {
        repository,
        digest: image.digest,
        tags: image.tags,
        pushedAt: pushed[i] ?? new Date(Number.NaN),
        sizeBytes: image.size,
        mediaType: image.mediaType,
      };
    }
  }

  /**
   * Lists the repository's images again, right before a cleanup batch: the per-reference GET
   * ("List layers") answers an Image in the seed but a layer list in craas-go, so it cannot be
   * trusted to carry the tags, and `search` is a free-text filter whose matching is not documented.
   */
  async currentTags(registry: TokenRegistry, repository: string, wanted: WantedNow): Promise<CurrentTags> {
    assertTokenRegistry(this.ctx, registry);
    return currentTagsOf(this.images(registry, repository), wanted);
  }

  /**
   * Removes manifests by digest. Of its `failed` list, those already gone are no failure but are
   * returned as `gone` (not deleted by this call); the others are returned as `failed`.
   */
  async deleteDigests(registry: TokenRegistry, repository: string, digests: string[]): Promise<DeleteResult> {
    assertTokenRegistry(this.ctx, registry);
    const failed: string[] = [];
    const gone: string[] = [];
    for (const batch of chunks(digests)) {
      const result = await this.cleanup(registry, repository, batch);
      for (const item of result.failed) {
        if (!batch.includes(item.digest)) continue;
        (ALREADY_GONE.test(item.error ?? '') ? gone : failed).push(item.digest);
      }
    }
    return { failed, gone };
  }

  /** Every image of a repository (paged v2, or the whole v1 list: listings.ts). */
  private images(registry: TokenRegistry, repository: string): AsyncIterable<Image> {
    const { listings } = this.ctx.api;
    return paginate(
      this.ctx.pageSize,
      async (offset, limit) =>
        this.reported(await listings.images(registry.externalId, repository, { limit, offset }), 'image'),
      listingGuard(
        'images.list',
        `/${listings.usesV1 ? 'v1' : 'v2'}${encodePath`/registries/${registry.externalId}/repositories/`}${repositoryPath(repository)}/images`,
        (i: Image) => i.digest,
      ),
    );
  }

  /**
   * Logs the entries a page left out as unreadable. An image missing from a listing is never
   * deleted (cleanup only removes what it listed), so skipping errs on the side of keeping.
   */
  private reported<T>(page: ListingPage<T>, kind: string): ListingPage<T> {
    for (const reason of page.skipped)
      this.ctx.logger?.warn(`selectel: skipped an unreadable ${kind} (${reason})`);
    return page;
  }

  /** One cleanup call by digest only (see the class comment for why never by tag). */
  private cleanup(registry: TokenRegistry, repository: string, digests: string[]): Promise<CleanupResult> {
    return this.ctx.api.cleanupRepository(registry.externalId, repository, { digests, disableGc: true });
  }
}

/**
 * On-demand garbage collection. CRaaS answers 409 while one runs (the registry is then in
 * GARBAGE_COLLECTION, read-only for pushes and deletes).
 */
export class SelectelGarbageCollection implements GarbageCollection {
  private readonly ctx: SelectelContext;
  private readonly deleteUntagged: boolean;

  constructor(ctx: SelectelContext, options: { deleteUntagged?: boolean | undefined } = {}) {
    this.ctx = ctx;
    this.deleteUntagged = options.deleteUntagged ?? false;
  }

  /** Starts a collection; false when one is already running (409). */
  async start(registry: TokenRegistry): Promise<boolean> {
    assertTokenRegistry(this.ctx, registry);
    try {
      await this.ctx.api.startGarbageCollection(registry.externalId, { deleteUntagged: this.deleteUntagged });
      return true;
    } catch (err) {
      if (err instanceof ConflictError) return false;
      throw err;
    }
  }

  /** `sizeSummary`: unreferenced layers plus untagged images, in bytes. */
  async reclaimableBytes(registry: TokenRegistry): Promise<number | undefined> {
    assertTokenRegistry(this.ctx, registry);
    return (await this.ctx.api.getGarbageCollectionSize(registry.externalId)).sizeSummary;
  }
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CLEANUP_BATCH) out.push(items.slice(i, i + CLEANUP_BATCH));
  return out;
}
