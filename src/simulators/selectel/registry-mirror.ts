/**
 * The Selectel simulator's repositories and images as a view of the real registry behind it.
 * A CRaaS registry `<name>` holds the registry paths `<name>/<image>` (its docker references are
 * `<host>/<name>/<image>:<tag>`), so the catalog under that prefix is its repository list.
 *
 * An image seeded with `addImage` whose digest turns up in the registry is bound to it: from then
 * on the registry decides its tags and whether it exists, and its seeded push time stands. Other
 * seeded images and repositories stay as seeded. Cleanup and deletes of bound images delete their
 * manifests in the registry; an image an index there still references is refused by cleanup with
 * {@link REFERENCED}, as CRaaS refuses it.
 */
import type { ManifestRecord, RegistryView, RepositorySnapshot } from '../core/registry-view.ts';
import { isIndex } from '../core/registry-view.ts';
import { SimError } from '../core/server.ts';
import { KeyedQueue, PushTimes } from '../core/view-bookkeeping.ts';
import type { SimImage, SimRegistry, SimRepository, SimState } from './state.ts';

/** CRaaS's cleanup error for a manifest an index references (seed 003's example). */
export const REFERENCED = 'Image is referenced by another manifest';

/** Keeps Selectel registries' listings in step with the registry. */
export class SelectelRegistryMirror {
  readonly view: RegistryView;
  readonly times: PushTimes;
  private readonly state: SimState;
  private readonly queue = new KeyedQueue();
  /** Images whose config says when they were built (`created`): their createdAt is that, not a push time. */
  private readonly builtAt = new Set<string>();

  constructor(state: SimState, view: RegistryView) {
    this.state = state;
    this.view = view;
    this.times = new PushTimes(() => state.now());
  }

  /** The registry path of a repository. */
  path(registry: SimRegistry, repository: string): string {
    return `${registry.name}/${repository}`;
  }

  /** Reads the registry's repositories (the catalog under its name) and each of them. */
  async syncRegistry(registry: SimRegistry): Promise<void> {
    const prefix = `${registry.name}/`;
    const listed = await this.read(() => this.view.repositories(prefix));
    const names = new Set([...listed.map((p) => p.slice(prefix.length)), ...registry.repositories.keys()]);
    await Promise.all([...names].map((name) => this.syncRepository(registry, name)));
  }

  /** Reads one repository into the registry's state; undefined when it has none. */
  async syncRepository(registry: SimRegistry, name: string): Promise<SimRepository | undefined> {
    const path = this.path(registry, name);
    return this.queue.run(path, async () => {
      const snapshot = await this.read(() => this.view.snapshot(path));
      const configs = new Map<string, Awaited<ReturnType<RegistryView['config']>>>();
      for (const record of snapshot.manifests.values())
        configs.set(record.digest, await this.read(() => this.view.config(path, record)));
      return this.apply(registry, name, snapshot, configs);
    });
  }

  /** Deletes the bound images' manifests in the registry (seeded ones have none there). */
  async deleteImages(registry: SimRegistry, repository: string, images: SimImage[]): Promise<void> {
    const path = this.path(registry, repository);
    await this.queue.run(path, async () => {
      for (const image of images)
        if (image.fromRegistry) await this.read(() => this.view.client.deleteManifest(path, image.digest));
    });
  }

  /** Sets when an image was pushed (the registry records no push times). */
  async setPushedAt(registry: SimRegistry, repository: string, digest: string, at: number): Promise<void> {
    const path = this.path(registry, repository);
    this.view.remember(path, digest);
    this.times.set(path, digest, at);
    await this.syncRepository(registry, repository);
  }

  private apply(
    registry: SimRegistry,
    name: string,
    snapshot: RepositorySnapshot,
    configs: Map<string, { architecture: string; os: string; created?: number | undefined }>,
  ): SimRepository | undefined {
    const path = snapshot.repository;
    let repository = registry.repositories.get(name);
    if (!repository) {
      if (snapshot.manifests.size === 0) return undefined;
      repository = { name, type: 'image', updatedAt: 0, images: [], fromRegistry: true };
      registry.repositories.set(name, repository);
    }
    const referenced = new Set(
      [...snapshot.manifests.values()].filter(isIndex).flatMap((r) => r.children.map((c) => c.digest)),
    );
    for (const record of snapshot.manifests.values()) {
      let image = repository.images.find((i) => i.digest === record.digest);
      if (!image) {
        image = this.newImage(path, record, configs.get(record.digest));
        repository.images.push(image);
      } else if (!image.fromRegistry) {
        this.times.set(path, record.digest, image.pushedAt);
      }
      image.fromRegistry = true;
      image.tags = [...record.tags];
      image.pushedAt = this.times.seen(path, record.digest);
      // A config without `created` leaves the push time in its place, also once a test moved it.
      if (!this.builtAt.has(`${path}@${record.digest}`)) image.createdAt = image.pushedAt;
      image.lockedBy = referenced.has(record.digest) ? REFERENCED : undefined;
      repository.updatedAt = Math.max(repository.updatedAt, image.pushedAt);
    }
    const gone = repository.images.filter((i) => i.fromRegistry && !snapshot.manifests.has(i.digest));
    if (gone.length > 0) {
      repository.images = repository.images.filter((i) => !gone.includes(i));
      repository.removedAt = this.state.now();
    }
    // Its last change, from push times a test may have moved back (setPushedAt) to age it.
    if (repository.fromRegistry)
      repository.updatedAt = Math.max(repository.removedAt ?? 0, ...repository.images.map((i) => i.pushedAt));
    else if (gone.length > 0) repository.updatedAt = this.state.now();
    return repository;
  }

  private newImage(
    path: string,
    record: ManifestRecord,
    config: { architecture: string; os: string; created?: number | undefined } | undefined,
  ): SimImage {
    const pushedAt = this.times.seen(path, record.digest);
    if (config?.created !== undefined) this.builtAt.add(`${path}@${record.digest}`);
    return {
      digest: record.digest,
      tags: [],
      createdAt: config?.created ?? pushedAt,
      pushedAt,
      layers: record.layers.map((l) => ({ digest: l.digest, size: l.size })),
      architecture: config?.architecture ?? '',
      os: config?.os ?? '',
      mediaType: record.mediaType,
      fromRegistry: true,
    };
  }

  /** A registry failure as a 500 in CRaaS's 5xx shape (`{message}`), saying what failed. */
  private async read<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw new SimError(500, { message: `registry backend failed: ${(err as Error).message}` });
    }
  }
}
