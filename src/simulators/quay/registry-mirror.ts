/**
 * The Quay simulator's tags as a view of the real registry behind it, for the repositories the
 * simulator has (`<org>/<repo>` in the registry). Each tag there is an active tag row; a tag moved
 * in the registry ends its row and starts a new one on the new digest, as Quay's history shows a
 * retarget, and a tag gone from the registry ends its row.
 *
 * Tag rows seeded with `pushTag` stay as seeded unless the registry has a tag of the same name:
 * on the same digest the row is bound to it (and keeps its seeded start), on another digest the
 * registry's tag replaces it (a tag name is active once). Deleting a tag through the API deletes
 * the tag in the registry and leaves the manifest (Quay keeps it for the time machine); a tag that
 * expired or was pruned in Quay is deleted in the registry when next read. A row's start (Quay's
 * push time) is when the simulator first saw the tag on its digest, unless a test set it.
 */
import type { ManifestRecord, RegistryView, RepositorySnapshot } from '../core/registry-view.ts';
import { isIndex, layerBytes } from '../core/registry-view.ts';
import { SimError } from '../core/server.ts';
import { KeyedQueue } from '../core/view-bookkeeping.ts';
import { isActive, type SimOrganization, type SimRepository, type SimTag } from './state.ts';

/** Keeps Quay repositories' tags in step with the registry. */
export class QuayRegistryMirror {
  readonly view: RegistryView;
  private readonly now: () => number;
  private readonly queue = new KeyedQueue();
  /** Push times tests set, per `path@digest`. */
  private readonly pushedAt = new Map<string, number>();

  constructor(now: () => number, view: RegistryView) {
    this.now = now;
    this.view = view;
  }

  /** The registry path of a repository. */
  path(org: SimOrganization, repo: SimRepository): string {
    return `${org.name}/${repo.name}`;
  }

  /** Reads one repository's tags from the registry into its tag rows. */
  async syncRepository(org: SimOrganization, repo: SimRepository): Promise<void> {
    const path = this.path(org, repo);
    await this.queue.run(path, async () => {
      const snapshot = await this.read(() => this.view.snapshot(path));
      const expired = this.apply(path, repo, snapshot);
      for (const tag of expired) await this.read(() => this.view.client.deleteTag(path, tag));
    });
  }

  /** Deletes a tag in the registry (its manifest stays), then ends its row. */
  async deleteTag(org: SimOrganization, repo: SimRepository, tag: SimTag): Promise<void> {
    const path = this.path(org, repo);
    await this.queue.run(path, async () => {
      await this.read(() => this.view.client.deleteTag(path, tag.name));
      tag.end = this.now();
      tag.endedInRegistry = true;
    });
  }

  /** Points a tag at another manifest of the repository; false when the registry lacks it. */
  async retarget(org: SimOrganization, repo: SimRepository, name: string, digest: string): Promise<boolean> {
    const path = this.path(org, repo);
    return this.queue.run(path, async () => {
      const manifest = await this.read(() => this.view.client.manifest(path, digest));
      if (!manifest) return false;
      await this.read(() => this.view.client.putManifest(path, name, manifest.bytes, manifest.mediaType));
      return true;
    });
  }

  /** Deletes every manifest of a repository in the registry (Quay's repository DELETE). */
  async deleteRepository(org: SimOrganization, repo: SimRepository): Promise<void> {
    const path = this.path(org, repo);
    await this.queue.run(path, async () => {
      const snapshot = await this.read(() => this.view.snapshot(path));
      for (const digest of snapshot.manifests.keys())
        await this.read(() => this.view.client.deleteManifest(path, digest));
    });
  }

  /** Sets the start (push time) of a tag, or of every tag on a digest, now and when next seen. */
  async setPushedAt(
    org: SimOrganization,
    repo: SimRepository,
    tagOrDigest: string,
    at: number,
  ): Promise<void> {
    const path = this.path(org, repo);
    if (tagOrDigest.startsWith('sha256:')) {
      this.view.remember(path, tagOrDigest);
      this.pushedAt.set(`${path}@${tagOrDigest}`, at);
    }
    await this.syncRepository(org, repo);
    const now = this.now();
    for (const tag of repo.tags)
      if (tag.fromRegistry && isActive(tag, now) && (tag.name === tagOrDigest || tag.digest === tagOrDigest))
        tag.start = at;
  }

  /** Applies a snapshot to the rows; returns the registry tags Quay has expired or pruned. */
  private apply(path: string, repo: SimRepository, snapshot: RepositorySnapshot): string[] {
    const now = this.now();
    const inRegistry = new Map<string, ManifestRecord>();
    for (const record of snapshot.manifests.values())
      for (const tag of record.tags) inRegistry.set(tag, record);
    const expired: string[] = [];
    for (const [name, record] of inRegistry) {
      const rows = repo.tags.filter((t) => t.name === name);
      const active = rows.find((t) => isActive(t, now));
      // The same tag on the same manifest: a seeded row is bound to it and keeps its start.
      if (active?.digest === record.digest) {
        Object.assign(active, shape(record));
        continue;
      }
      const latest = rows.filter((t) => t.fromRegistry).sort((a, b) => b.start - a.start)[0];
      // Ended in Quay (expired, pruned) but still in the registry: Quay's end stands.
      if (
        !active &&
        latest?.digest === record.digest &&
        latest.end !== undefined &&
        !latest.endedInRegistry
      ) {
        latest.endedInRegistry = true;
        expired.push(name);
        continue;
      }
      if (active) end(active, now);
      const start = this.pushedAt.get(`${path}@${record.digest}`) ?? now;
      repo.tags.push({
        name,
        digest: record.digest,
        start,
        immutable: false,
        reversion: false,
        ...shape(record),
      });
    }
    for (const tag of repo.tags)
      if (tag.fromRegistry && isActive(tag, now) && inRegistry.get(tag.name)?.digest !== tag.digest)
        end(tag, now);
    return expired;
  }

  /** A registry failure as a 500 in Quay's 5xx shape (`{message}`), saying what failed. */
  private async read<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw new SimError(500, { message: `registry backend failed: ${(err as Error).message}` });
    }
  }
}

/** Ends a row for a change the registry already shows (moved or deleted there). */
function end(tag: SimTag, now: number): void {
  tag.end = now;
  tag.endedInRegistry = true;
}

/** The row fields a manifest decides: Quay reports no size for a manifest list. */
function shape(record: ManifestRecord): Pick<SimTag, 'size' | 'isManifestList' | 'fromRegistry'> {
  const list = isIndex(record);
  return { size: list ? null : layerBytes(record), isManifestList: list, fromRegistry: true };
}
