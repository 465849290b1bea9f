/**
 * The simulated CRaaS world: registries per project with their repositories and images, v1 and v2
 * tokens, and a clock that tests can move. Provider-side processes (provisioning, deletion, garbage
 * collection) are timestamps settled lazily on every read, so no timers leak out of tests.
 */
import { randomBytes, randomUUID } from 'node:crypto';

/** Registry states as CRaaS reports them. */
export type SimRegistryStatus = 'CREATING' | 'ACTIVE' | 'DELETING' | 'GARBAGE_COLLECTION' | 'ERROR';

/** An image (manifest) in a repository. */
export interface SimImage {
  digest: string;
  tags: string[];
  /**
   * The image config's creation time, reported as the image's `createdAt` (seed 003, next to
   * `architecture`, `os` and `layers`). The build sets it, not the registry: reproducible builds
   * write 1970-01-01 or 0001-01-01.
   */
  createdAt: number;
  /** When it was pushed. The seed's image object has no such field; only the repository's `updatedAt` moves. */
  pushedAt: number;
  layers: { digest: string; size: number }[];
  architecture: string;
  os: string;
  mediaType: string;
  /** When set, cleanup refuses to delete it with this error (e.g. referenced by an index). */
  lockedBy?: string | undefined;
  /** Bound to a manifest in the registry behind the simulator, which decides its tags and existence. */
  fromRegistry?: boolean | undefined;
}

/** A repository with its images. */
export interface SimRepository {
  name: string;
  type: string;
  /** Its last change (a push, or a removal by cleanup or delete): the seed's repository `updatedAt`. */
  updatedAt: number;
  images: SimImage[];
  /** First listed from the registry behind the simulator: `updatedAt` follows its images' push times. */
  fromRegistry?: boolean | undefined;
  /** When an image was last removed from it (cleanup, delete, collection, or gone from the registry). */
  removedAt?: number | undefined;
}

/** A registry and the provider-side process it is in, if any. */
export interface SimRegistry {
  id: string;
  projectId: string;
  name: string;
  createdAt: number;
  status: SimRegistryStatus;
  /** When the current process (CREATING, DELETING, GARBAGE_COLLECTION) ends. */
  until?: number | undefined;
  gcDeleteUntagged: boolean;
  /** Bytes of layers no manifest references any more (what GC frees). */
  garbageBytes: number;
  sizeLimit: number;
  repositories: Map<string, SimRepository>;
}

/** A v2 token; `status` is the stored word, expiry is applied when read. */
export interface SimTokenV2 {
  id: string;
  projectId: string;
  name: string;
  createdAt: number;
  lastUsedAt?: number | undefined;
  expiration: { isSet: boolean; expiresAt?: number | undefined };
  scope: { allRegistries: boolean; modeRW: boolean; registryIds: string[] };
  status: 'active' | 'revoked';
  secret: string;
}

/** A v1 token: project-wide, identified by its secret. */
export interface SimTokenV1 {
  secret: string;
  projectId: string;
  ttlMs: number;
  expiresAt: number;
  revoked: boolean;
}

/** Durations of provider-side processes. */
export interface SimDurations {
  createMs: number;
  deleteMs: number;
  gcMs: number;
}

/** The default registry size limit (20 GiB, as in the seed's samples). */
export const DEFAULT_SIZE_LIMIT = 21_474_836_480;

/** A token secret in the format public examples and craas-go's fixtures show (`CRgAAAAA…`). */
export function newSecret(): string {
  return `CRgAAAAA${randomBytes(24).toString('base64url')}`;
}

/**
 * Where refresh and regenerate read the expiry: `either` shape (the default, since nothing tells
 * which one the real service reads), only the reference's `{"expiration":{…}}`, or only craas-go's
 * bare `{"isSet","expiresAt"}` decoded as Go does (a missing `isSet` is false: never expires).
 */
export type SimExpirationReading = 'either' | 'wrapped' | 'bare';

/** How v1 tokens look: craas-go's fixtures show `CRgAAAAA…`, the reference's sample a UUID. */
export type SimV1TokenFormat = 'CRgAAAAA' | 'uuid';

/** A fake sha256 digest. */
export function newDigest(): string {
  return `sha256:${randomBytes(32).toString('hex')}`;
}

/** Size of an image: the sum of its layers. */
export function imageSize(image: SimImage): number {
  return image.layers.reduce((sum, layer) => sum + layer.size, 0);
}

/** The whole simulated state and its clock. */
export class SimState {
  readonly registries = new Map<string, SimRegistry>();
  readonly tokensV2 = new Map<string, SimTokenV2>();
  readonly tokensV1 = new Map<string, SimTokenV1>();
  readonly durations: SimDurations;
  /** How refresh and regenerate read their body; tests pick one reading to pin what berth sends. */
  expirationReading: SimExpirationReading = 'either';
  /** The form of new v1 tokens; both are accepted in paths whatever this says. */
  v1TokenFormat: SimV1TokenFormat = 'CRgAAAAA';
  /** Told of the images a collection with `delete-untagged` removed (the registry view deletes them there). */
  onCollected: ((registry: SimRegistry, repository: SimRepository, images: SimImage[]) => void) | undefined;
  private readonly baseNow: () => number;
  private offsetMs = 0;

  constructor(durations: SimDurations, now: () => number = Date.now) {
    this.durations = durations;
    this.baseNow = now;
  }

  /** Simulated time. */
  now(): number {
    return this.baseNow() + this.offsetMs;
  }

  /** Moves simulated time forward (token expiry, provisioning, deletion, collection). */
  advance(ms: number): void {
    this.offsetMs += ms;
    this.settle();
  }

  /** Ends every process whose time has come. Called before each request is served. */
  settle(): void {
    const now = this.now();
    for (const registry of [...this.registries.values()]) {
      if (registry.until === undefined || now < registry.until) continue;
      if (registry.status === 'DELETING') {
        this.registries.delete(registry.id);
        continue;
      }
      if (registry.status === 'GARBAGE_COLLECTION') this.collect(registry);
      registry.status = 'ACTIVE';
      registry.until = undefined;
    }
  }

  /** Finishes every running process at once. */
  finishAll(): void {
    for (const registry of this.registries.values()) if (registry.until !== undefined) registry.until = 0;
    this.settle();
  }

  /** Adds a registry in a given state (ACTIVE by default). */
  addRegistry(projectId: string, name: string, status: SimRegistryStatus = 'ACTIVE'): SimRegistry {
    const registry: SimRegistry = {
      id: randomUUID(),
      projectId,
      name,
      createdAt: this.now(),
      status,
      gcDeleteUntagged: false,
      garbageBytes: 0,
      sizeLimit: DEFAULT_SIZE_LIMIT,
      repositories: new Map(),
    };
    if (status === 'CREATING') registry.until = this.now() + this.durations.createMs;
    this.registries.set(registry.id, registry);
    return registry;
  }

  /** The registry if it exists in that project (other projects' registries are invisible). */
  registryIn(projectId: string, id: string): SimRegistry | undefined {
    const registry = this.registries.get(id);
    return registry?.projectId === projectId ? registry : undefined;
  }

  /** Starts a collection on a registry (it becomes GARBAGE_COLLECTION for `gcMs`). */
  startCollection(registry: SimRegistry, deleteUntagged: boolean): void {
    registry.status = 'GARBAGE_COLLECTION';
    registry.gcDeleteUntagged = deleteUntagged;
    registry.until = this.now() + this.durations.gcMs;
  }

  /** Bytes used: images plus garbage not yet collected. */
  usedBytes(registry: SimRegistry): number {
    let sum = registry.garbageBytes;
    for (const repository of registry.repositories.values())
      for (const image of repository.images) sum += imageSize(image);
    return sum;
  }

  /** Bytes of images without tags. */
  untaggedBytes(registry: SimRegistry): number {
    let sum = 0;
    for (const repository of registry.repositories.values())
      for (const image of repository.images) if (image.tags.length === 0) sum += imageSize(image);
    return sum;
  }

  /** A new v1 token in the configured format. */
  newV1Token(): string {
    return this.v1TokenFormat === 'uuid' ? randomUUID() : newSecret();
  }

  /** The v2 status word as read now: an active token past its expiry reads `expired`. */
  tokenStatus(token: SimTokenV2): 'active' | 'revoked' | 'expired' {
    if (token.status === 'revoked') return 'revoked';
    const { isSet, expiresAt } = token.expiration;
    return isSet && expiresAt !== undefined && expiresAt <= this.now() ? 'expired' : 'active';
  }

  private collect(registry: SimRegistry): void {
    registry.garbageBytes = 0;
    if (!registry.gcDeleteUntagged) return;
    for (const repository of registry.repositories.values()) {
      // A platform manifest of a tagged index in the registry is untagged but in use: it stays.
      const removed = repository.images.filter(
        (image) => image.tags.length === 0 && !(image.fromRegistry && image.lockedBy),
      );
      if (removed.length === 0) continue;
      repository.images = repository.images.filter((image) => !removed.includes(image));
      this.onCollected?.(registry, repository, removed);
    }
  }
}
