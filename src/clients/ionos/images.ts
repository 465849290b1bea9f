/**
 * The Images capability for IONOS: listing through the 1.1+ repository and artifact endpoints.
 * Deleting tags or manifests is not in this API (only whole repositories), so `deleteTags` and
 * `deleteDigests` are absent: cleanup deletes by digest through the OCI client on the registry host.
 */
import type { Artifact, Images, TokenRegistry } from '../provider.ts';
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
      };
    }
  }
}
