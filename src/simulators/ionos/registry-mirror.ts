/**
 * The IONOS simulator's repositories and artifacts as a view of the real registry behind it.
 * IONOS lists what its registry holds; deletes go straight to the registry through the OCI API,
 * so the listing only has to be read again to show them.
 *
 * All IONOS registries of a test share one registry host, and their repositories are the bare
 * registry paths, so a registry owns the repositories it pushed to: a docker login with one of
 * its tokens that is granted `push` on a path claims it (as does {@link IonosRegistryMirror.claim}).
 * An artifact seeded with `pushArtifact` whose digest turns up in the registry is bound to it:
 * from then on the registry decides its tags and whether it exists, and its seeded push time
 * stands. Other seeded artifacts stay as seeded.
 */

import type { RegistryView, RepositorySnapshot } from '../core/registry-view.ts';
import { KeyedQueue, PushTimes } from '../core/view-bookkeeping.ts';
import { fail } from './render.ts';
import type { IonosWorld, SimRegistry, SimRepository } from './state.ts';

/** Keeps IONOS registries' listings in step with the registry. */
export class IonosRegistryMirror {
  readonly view: RegistryView;
  readonly times: PushTimes;
  private readonly world: IonosWorld;
  private readonly claims = new Map<string, Set<string>>();
  private readonly queue = new KeyedQueue();

  constructor(world: IonosWorld, view: RegistryView) {
    this.world = world;
    this.view = view;
    this.times = new PushTimes(() => world.now());
  }

  /** Makes a registry path one of this IONOS registry's repositories. */
  claim(registryId: string, repository: string): void {
    const set = this.claims.get(registryId) ?? new Set<string>();
    this.claims.set(registryId, set.add(repository));
  }

  /** Reads one repository from the registry into the registry's state; undefined when it has none. */
  async syncRepository(registry: SimRegistry, name: string): Promise<SimRepository | undefined> {
    return this.queue.run(name, async () => {
      const snapshot = await this.read(() => this.view.snapshot(name));
      return this.apply(registry, snapshot);
    });
  }

  /** Reads every repository the registry claimed or was seeded with. */
  async syncRegistry(registry: SimRegistry): Promise<void> {
    const names = new Set([...(this.claims.get(registry.id) ?? []), ...registry.repositories.keys()]);
    await Promise.all([...names].map((name) => this.syncRepository(registry, name)));
  }

  /** Deletes every manifest of a repository from the registry (IONOS's repository DELETE). */
  async deleteRepository(registry: SimRegistry, repository: SimRepository): Promise<void> {
    await this.queue.run(repository.name, async () => {
      for (const artifact of repository.artifacts.values())
        if (artifact.fromRegistry)
          await this.read(() => this.view.client.deleteManifest(repository.name, artifact.digest));
    });
    this.claims.get(registry.id)?.delete(repository.name);
  }

  /** Sets a manifest's push time (the registry records none); claims the repository. */
  async setPushedAt(registry: SimRegistry, repository: string, digest: string, at: number): Promise<void> {
    this.claim(registry.id, repository);
    this.view.remember(repository, digest);
    this.times.set(repository, digest, at);
    await this.syncRepository(registry, repository);
  }

  private apply(registry: SimRegistry, snapshot: RepositorySnapshot): SimRepository | undefined {
    const name = snapshot.repository;
    const owned = this.claims.get(registry.id)?.has(name) ?? false;
    let repository = registry.repositories.get(name);
    if (!repository) {
      if (!owned || snapshot.manifests.size === 0) return undefined;
      repository = { name, createdAt: this.world.now(), artifacts: new Map() };
      registry.repositories.set(name, repository);
    }
    for (const record of snapshot.manifests.values()) {
      let artifact = repository.artifacts.get(record.digest);
      if (!artifact) {
        // A repository this registry never pushed to only binds what a test seeded into it.
        if (!owned) continue;
        artifact = {
          digest: record.digest,
          tags: [],
          mediaType: record.mediaType,
          pushedAt: this.times.seen(name, record.digest),
          pushCount: 1,
          pullCount: 0,
        };
        repository.artifacts.set(record.digest, artifact);
      } else if (!artifact.fromRegistry) {
        this.times.set(name, record.digest, artifact.pushedAt);
      }
      artifact.fromRegistry = true;
      artifact.tags = [...record.tags];
      artifact.mediaType = record.mediaType;
      artifact.pushedAt = this.times.seen(name, record.digest);
    }
    for (const artifact of [...repository.artifacts.values()])
      if (artifact.fromRegistry && !snapshot.manifests.has(artifact.digest))
        repository.artifacts.delete(artifact.digest);
    return repository;
  }

  /** A registry failure as IONOS would show one of its backend: a 500 with its error body. */
  private async read<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw fail(500, `registry backend failed: ${(err as Error).message}`);
    }
  }
}
