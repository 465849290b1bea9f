/**
 * The IONOS simulator's world: registries, their tokens, repositories and artifacts, and the
 * provider-side processes that run on their own (provisioning, asynchronous deletion, deletion of
 * expired tokens). Processes are time-based and evaluated lazily on every access (`settle`), so a
 * test can move time with `advance(ms)` instead of sleeping.
 */
import { randomBytes, randomUUID } from 'node:crypto';

/** A principal of the simulated API (who `createdBy` names). */
export interface SimPrincipal {
  name: string;
  userId: string;
}

/** Created/modified bookkeeping shared by registries and tokens. */
export interface SimAudit {
  createdAt: number;
  createdBy: SimPrincipal;
  modifiedAt: number;
  modifiedBy: SimPrincipal;
}

/** A simulated token. The password is kept to answer docker logins; the API never shows it again. */
export interface SimToken extends SimAudit {
  id: string;
  name: string;
  password: string;
  /** Epoch ms, or undefined for never. */
  expiresAt: number | undefined;
  status: 'enabled' | 'disabled';
  scopes: { name: string; type: string; actions: string[] }[];
}

/** A manifest in a repository. */
export interface SimArtifact {
  digest: string;
  tags: string[];
  mediaType: string;
  pushedAt: number;
  pulledAt?: number | undefined;
  pushCount: number;
  pullCount: number;
  /** Bound to a manifest in the registry behind the simulator, which decides its tags and existence. */
  fromRegistry?: boolean | undefined;
}

/** A repository. */
export interface SimRepository {
  name: string;
  createdAt: number;
  artifacts: Map<string, SimArtifact>;
}

/** A simulated registry and its lifecycle times. */
export interface SimRegistry extends SimAudit {
  id: string;
  name: string;
  location: string;
  /** When provisioning finishes (state Running, hostname set). */
  readyAt: number;
  /** Until when an update keeps it BUSY. */
  busyUntil: number;
  /** When deletion was requested; it vanishes at `goneAt`. */
  deletingSince?: number | undefined;
  goneAt?: number | undefined;
  /** A failure state word (`FAILED`, `FAILED_DESTROYING`, ...) reported until recovery. */
  failedState?: string | undefined;
  gc?: { days: string[]; time: string } | undefined;
  scanning: boolean;
  allowList: string[];
  storageBytes: number;
  tokens: Map<string, SimToken>;
  repositories: Map<string, SimRepository>;
}

/** Timing of the provider-side processes. */
export interface SimTimings {
  provisionMs: number;
  updateMs: number;
  deletionMs: number;
}

/** The whole state plus the clock. */
export class IonosWorld {
  readonly registries = new Map<string, SimRegistry>();
  /** Registry names held by other customers: taken for HEAD /names and for creation. */
  readonly foreignNames = new Set<string>();
  private offsetMs = 0;
  private readonly baseNow: () => number;
  private readonly timings: SimTimings;

  constructor(timings: SimTimings, now: () => number = Date.now) {
    this.timings = timings;
    this.baseNow = now;
  }

  /** Simulated time (epoch ms). */
  now(): number {
    return this.baseNow() + this.offsetMs;
  }

  /** Moves simulated time forward, then lets due processes finish. */
  advance(ms: number): void {
    this.offsetMs += ms;
    this.settle();
  }

  /** Finishes due deletions and drops expired tokens (IONOS deletes them: GET answers 404). */
  settle(): void {
    const now = this.now();
    for (const registry of this.registries.values()) {
      if (registry.goneAt !== undefined && now >= registry.goneAt) {
        this.registries.delete(registry.id);
        continue;
      }
      for (const token of registry.tokens.values()) {
        if (token.expiresAt !== undefined && now >= token.expiresAt) registry.tokens.delete(token.id);
      }
    }
  }

  /** The provider's state word for a registry at this moment. */
  stateOf(registry: SimRegistry): string {
    const now = this.now();
    if (registry.failedState !== undefined) return registry.failedState;
    if (registry.deletingSince !== undefined) return 'DESTROYING';
    if (now < registry.readyAt) {
      // The docs show New; users reported WaitingForStorage later in provisioning.
      const half = registry.createdAt + (registry.readyAt - registry.createdAt) / 2;
      return now < half ? 'New' : 'WaitingForStorage';
    }
    if (now < registry.busyUntil) return 'BUSY';
    return 'Running';
  }

  /** Whether the hostname is known (it is "" until provisioning finished). */
  provisioned(registry: SimRegistry): boolean {
    return this.now() >= registry.readyAt;
  }

  /** Names in use by any registry (ours or, via `foreignNames`, anyone else's). */
  nameTaken(name: string): boolean {
    if (this.foreignNames.has(name)) return true;
    return [...this.registries.values()].some((r) => r.name === name);
  }

  /** Adds a registry that starts provisioning now (or is ready at once with `ready`). */
  addRegistry(input: {
    id?: string | undefined;
    name: string;
    location: string;
    by: SimPrincipal;
    gc?: { days: string[]; time: string } | undefined;
    scanning?: boolean | undefined;
    allowList?: string[] | undefined;
    ready?: boolean | undefined;
  }): SimRegistry {
    const now = this.now();
    const registry: SimRegistry = {
      id: input.id ?? randomUUID(),
      name: input.name,
      location: input.location,
      createdAt: now,
      createdBy: input.by,
      modifiedAt: now,
      modifiedBy: input.by,
      readyAt: input.ready ? now : now + this.timings.provisionMs,
      busyUntil: 0,
      gc: input.gc,
      scanning: input.scanning ?? true,
      allowList: input.allowList ?? [],
      storageBytes: 0,
      tokens: new Map(),
      repositories: new Map(),
    };
    this.registries.set(registry.id, registry);
    return registry;
  }

  /** Records an update: BUSY for the update time. */
  touch(registry: SimRegistry, by: SimPrincipal): void {
    registry.modifiedAt = this.now();
    registry.modifiedBy = by;
    registry.busyUntil = this.now() + this.timings.updateMs;
  }

  /** Starts the asynchronous deletion (idempotent); a failed registry's deletion starts afresh. */
  startDeletion(registry: SimRegistry): void {
    if (registry.deletingSince !== undefined && registry.failedState === undefined) return;
    registry.failedState = undefined;
    registry.deletingSince = this.now();
    registry.goneAt = this.now() + this.timings.deletionMs;
    this.settle();
  }

  /**
   * Puts a registry into a failure state: it stays there (no hostname if provisioning had not
   * finished, no vanishing if it was being deleted) until {@link recover}.
   */
  fail(registry: SimRegistry, state: string): void {
    registry.failedState = state;
    if (!this.provisioned(registry)) registry.readyAt = Number.POSITIVE_INFINITY;
    registry.goneAt = undefined;
  }

  /** Ends a failure: provisioning completes now, a deletion goes on. */
  recover(registry: SimRegistry): void {
    registry.failedState = undefined;
    const now = this.now();
    if (registry.readyAt === Number.POSITIVE_INFINITY) registry.readyAt = now;
    if (registry.deletingSince !== undefined) registry.goneAt = now + this.timings.deletionMs;
  }

  /** Adds a token with a fresh password. */
  addToken(
    registry: SimRegistry,
    input: Omit<SimToken, 'password' | 'createdAt' | 'modifiedAt' | 'modifiedBy' | 'id'> & { id?: string },
  ): SimToken {
    const now = this.now();
    const token: SimToken = {
      ...input,
      id: input.id ?? randomUUID(),
      password: randomBytes(30).toString('base64url'),
      createdAt: now,
      modifiedAt: now,
      modifiedBy: input.createdBy,
    };
    registry.tokens.set(token.id, token);
    return token;
  }
}
