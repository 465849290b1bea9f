import { currentTagsOf } from '../current-tags.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../http/errors.ts';
import type { Artifact, CurrentTags, DeleteResult, Images, TokenRegistry, WantedNow } from '../provider.ts';
import type { QuayApi } from './api.ts';
import type { QuayContext } from './context.ts';
import type { QuayTag } from './schemas.ts';

/** The media types Quay's `is_manifest_list` stands for (Docker's, which Quay stores either way). */
const QUAY_LIST_TYPE = 'application/vnd.docker.distribution.manifest.list.v2+json';
const QUAY_IMAGE_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

/**
 * The Images capability for Quay. Tags are listed with `onlyActiveTags=true` (the plain list is the
 * full history). Deleting a tag moves it into the time machine; Quay collects untagged manifests by
 * itself, so "deleting a digest" means deleting every active tag that points to it.
 */
export class QuayImages implements Images {
  private readonly ctx: QuayContext;

  constructor(ctx: QuayContext) {
    this.ctx = ctx;
  }

  private get api(): QuayApi {
    return this.ctx.api;
  }

  /** Repository names relative to the organization (`api`, `team/api`), following `next_page`. */
  async *listRepositories(registry: TokenRegistry): AsyncIterable<string> {
    for await (const repo of this.api.repositories(registry.externalId)) yield repo.name;
  }

  /**
   * One artifact per manifest digest with its active tags. `pushedAt` is the newest tag start
   * (push or retarget) of that digest, so a manifest that was just re-tagged never looks old.
   */
  async *listArtifacts(registry: TokenRegistry, repository: string): AsyncIterable<Artifact> {
    const byDigest = new Map<string, Artifact>();
    for await (const tag of this.activeTags(registry, repository)) {
      const pushedAt = new Date(tag.start_ts * 1000);
      const known = byDigest.get(tag.manifest_digest);
      if (known) {
        known.tags.push(tag.name);
        if (pushedAt > known.pushedAt) known.pushedAt = pushedAt;
        continue;
      }
      byDigest.set(tag.manifest_digest, {
        repository,
        digest: tag.manifest_digest,
        tags: [tag.name],
        pushedAt,
        sizeBytes: tag.size ?? undefined,
        // Quay says only whether it is a manifest list, which is all the cleanup plan asks.
        mediaType: tag.is_manifest_list ? QUAY_LIST_TYPE : QUAY_IMAGE_TYPE,
      });
    }
    yield* byDigest.values();
  }

  /**
   * Deletes tags one by one. Idempotent: a tag that is not active (404) is no failure, but it is
   * reported `gone`, not deleted. Immutable tags (409) and rejected names (400) are reported in
   * `failed`; authentication and transient errors are thrown, so the caller backs off and tries again.
   */
  async deleteTags(registry: TokenRegistry, repository: string, tags: string[]): Promise<DeleteResult> {
    const failed: string[] = [];
    const gone: string[] = [];
    for (const tag of tags) {
      try {
        await this.api.deleteTag(registry.externalId, repository, tag);
      } catch (err) {
        if (err instanceof NotFoundError) {
          gone.push(tag);
          continue;
        }
        if (err instanceof ConflictError || err instanceof BadRequestError) {
          this.ctx.logger?.warn({ repository, tag, status: err.status }, 'quay refused to delete a tag');
          failed.push(tag);
          continue;
        }
        throw err;
      }
    }
    return { failed, gone };
  }

  /**
   * Deletes every active tag of each digest; a digest whose tags cannot all go is reported in
   * `failed`, one with no active tag left (or whose every tag answered 404) in `gone`.
   */
  async deleteDigests(registry: TokenRegistry, repository: string, digests: string[]): Promise<DeleteResult> {
    const wanted = new Set(digests);
    const tagsOf = new Map<string, string[]>();
    for await (const tag of this.activeTags(registry, repository)) {
      if (!wanted.has(tag.manifest_digest)) continue;
      tagsOf.set(tag.manifest_digest, [...(tagsOf.get(tag.manifest_digest) ?? []), tag.name]);
    }
    const failed: string[] = [];
    const gone = digests.filter((d) => !tagsOf.has(d));
    for (const [digest, tags] of tagsOf) {
      const result = await this.deleteTags(registry, repository, tags);
      if (result.failed.length > 0) failed.push(digest);
      else if (result.gone?.length === tags.length) gone.push(digest);
    }
    return { failed, gone };
  }

  /**
   * Quay has no lookup of a manifest's tags (its manifest endpoint names none), so wanted digests
   * cost one listing of the active tags, right before the batch. Tags alone are read one by one
   * with `specificTag` (active only), which is cheaper than listing a repository of many tags.
   */
  async currentTags(registry: TokenRegistry, repository: string, wanted: WantedNow): Promise<CurrentTags> {
    if (wanted.digests.length > 0) {
      const listing = (async function* (tags: AsyncGenerator<QuayTag>) {
        for await (const tag of tags) yield { digest: tag.manifest_digest, tags: [tag.name] };
      })(this.activeTags(registry, repository));
      return currentTagsOf(listing, wanted);
    }
    const now: CurrentTags = { ofDigest: new Map(), ofTag: new Map() };
    for (const name of wanted.tags) {
      const page = await this.api.listTags(registry.externalId, repository, {
        onlyActiveTags: true,
        specificTag: name,
      });
      // specificTag filters by name; the exact match guards against a server that ignores it.
      const tag = page.tags.find((t) => t.name === name);
      if (tag) now.ofTag.set(name, tag.manifest_digest);
    }
    return now;
  }

  /**
   * Sets (or with null clears) a tag's expiration: Quay moves it to the time machine at that time.
   * The time must be in the future (else BadRequestError); a tag that is not active is a NotFoundError.
   */
  async setTagExpiration(
    registry: TokenRegistry,
    repository: string,
    tag: string,
    at: Date | null,
  ): Promise<void> {
    const seconds = at === null ? null : Math.floor(at.getTime() / 1000);
    await this.api.setTagExpiration(registry.externalId, repository, tag, seconds);
  }

  private activeTags(registry: TokenRegistry, repository: string): AsyncGenerator<QuayTag> {
    return this.api.tags(registry.externalId, repository, { onlyActiveTags: true, limit: 100 });
  }
}
