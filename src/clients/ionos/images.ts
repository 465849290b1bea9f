/**
 * The Images capability for IONOS: listing through the 1.1+ repository and artifact endpoints.
 * Deleting tags or manifests is not in this API (only whole repositories), so `deleteTags` and
 * `deleteDigests` are absent: cleanup deletes by digest through the OCI client on the registry host.
 */
import { currentTagsOf } from '../current-tags.ts';
import { NotFoundError } from '../http/errors.ts';
import type { Artifact, CurrentTags, Images, TokenRegistry, WantedNow } from '../provider.ts';
import type { IonosApi } from './api.ts';

/** Repository and artifact listing at IONOS (pagination hidden). */
export class IonosImages implements Images {
  private readonly api: IonosApi;
  private readonly pageSize: number;

  constructor(api: IonosApi, pageSize: number) {
    this.api = api;
    this.pageSize = pageSize;
  }

  async *listRepositories(registry: TokenRegistry): AsyncIterable<string> {
    for await (const repository of this.api.repositories(registry.externalId, this.pageSize)) {
      yield repository.properties.name || repository.id;
    }
  }

  async *listArtifacts(registry: TokenRegistry, repository: string): AsyncIterable<Artifact> {
    for await (const artifact of this.api.artifacts(registry.externalId, repository, this.pageSize)) {
      const pushed = artifact.metadata?.lastPushedAt ? new Date(artifact.metadata.lastPushedAt) : undefined;
      yield {
        repository,
        digest: artifact.properties.digest,
        tags: [...(artifact.properties.tags ?? [])],
        // Without a push time, an Invalid Date: the planner keeps it as "unknown push time" (an age
        // rule never deletes on a guess), and the answer does not depend on when the listing ran.
        pushedAt: pushed ?? new Date(Number.NaN),
        // The cleanup plan reads indexes for the platform manifests they list (listed untagged here).
        mediaType: artifact.properties.mediaType ?? undefined,
      };
    }
  }

  /**
   * Per digest: `GET .../artifacts/{digest}` (404: gone), one request each, right before its
   * delete. The API has no lookup by tag, so wanted tags cost one listing of the repository.
   */
  async currentTags(registry: TokenRegistry, repository: string, wanted: WantedNow): Promise<CurrentTags> {
    const now: CurrentTags =
      wanted.tags.length > 0
        ? await currentTagsOf(this.listArtifacts(registry, repository), { digests: [], tags: wanted.tags })
        : { ofDigest: new Map(), ofTag: new Map() };
    for (const digest of wanted.digests) {
      try {
        const artifact = await this.api.getArtifact(registry.externalId, repository, digest);
        now.ofDigest.set(digest, [...(artifact.properties.tags ?? [])]);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    return now;
  }
}
