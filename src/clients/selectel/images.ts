import { ConflictError } from '../http/errors.ts';
import type { Artifact, GarbageCollection, Images, TokenRegistry } from '../provider.ts';
import { paginate } from './api.ts';
import { assertTokenRegistry, parseTime, type SelectelContext } from './context.ts';
import type { CleanupResult } from './schemas.ts';

/** Items per cleanup request, so one call stays small. */
const CLEANUP_BATCH = 50;

/** A `failed` entry for something already gone: deleting twice is not a failure (idempotency). */
const ALREADY_GONE = /not found|does not exist|unknown (tag|digest|manifest)/i;

/**
 * Repositories and images of a CRaaS registry. Deletes go through `/cleanup` with `disable_gc`
 * set: a cleanup otherwise starts a garbage collection, which makes every later delete answer 409
 * until it ends. Collections are started separately ({@link SelectelGarbageCollection}).
 */
export class SelectelImages implements Images {
  private readonly ctx: SelectelContext;

  constructor(ctx: SelectelContext) {
    this.ctx = ctx;
  }

  /** Every repository name (v2 listing, paged). */
  async *listRepositories(registry: TokenRegistry): AsyncIterable<string> {
    assertTokenRegistry(this.ctx, registry);
    const pages = paginate(this.ctx.pageSize, async (offset, limit) => {
      const page = await this.ctx.api.listRepositories(registry.externalId, { limit, offset });
      return { items: page.repositories, total: page.totalCount };
    });
    for await (const repository of pages) yield repository.name;
  }

  /** Every image of a repository with its tags, push time (`createdAt`) and size (v2 listing, paged). */
  async *listArtifacts(registry: TokenRegistry, repository: string): AsyncIterable<Artifact> {
    assertTokenRegistry(this.ctx, registry);
    const pages = paginate(this.ctx.pageSize, async (offset, limit) => {
      const page = await this.ctx.api.listImages(registry.externalId, repository, { limit, offset });
      return { items: page.images, total: page.totalCount };
    });
    for await (const image of pages) {
      yield {
        repository,
        digest: image.digest,
        tags: image.tags,
        pushedAt: parseTime(image.createdAt) ?? new Date(0),
        sizeBytes: image.size,
      };
    }
  }

  /** Removes tags; the `failed` ones (other than already gone) are returned. 409 while a GC runs. */
  async deleteTags(
    registry: TokenRegistry,
    repository: string,
    tags: string[],
  ): Promise<{ failed: string[] }> {
    assertTokenRegistry(this.ctx, registry);
    const failed: string[] = [];
    for (const batch of chunks(tags)) {
      const result = await this.cleanup(registry, repository, { tags: batch });
      const asked = new Set(batch);
      for (const item of stillThere(result))
        for (const tag of item.tags ?? []) if (asked.has(tag)) failed.push(tag);
    }
    return { failed };
  }

  /** Removes manifests by digest; the `failed` ones (other than already gone) are returned. */
  async deleteDigests(
    registry: TokenRegistry,
    repository: string,
    digests: string[],
  ): Promise<{ failed: string[] }> {
    assertTokenRegistry(this.ctx, registry);
    const failed: string[] = [];
    for (const batch of chunks(digests)) {
      const result = await this.cleanup(registry, repository, { digests: batch });
      for (const item of stillThere(result)) if (batch.includes(item.digest)) failed.push(item.digest);
    }
    return { failed };
  }

  private cleanup(
    registry: TokenRegistry,
    repository: string,
    items: { tags?: string[]; digests?: string[] },
  ): Promise<CleanupResult> {
    return this.ctx.api.cleanupRepository(registry.externalId, repository, { ...items, disableGc: true });
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

function stillThere(result: CleanupResult) {
  return result.failed.filter((item) => !ALREADY_GONE.test(item.error ?? ''));
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CLEANUP_BATCH) out.push(items.slice(i, i + CLEANUP_BATCH));
  return out;
}
