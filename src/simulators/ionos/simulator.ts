/**
 * A stateful fake of the IONOS Cloud Container Registry API for tests, benchmarks and the demo:
 * Basic (e-mail:password) and Bearer (API token) authentication with IONOS's 401/403 bodies,
 * asynchronous registry provisioning and deletion, token passwords shown once, expired tokens
 * deleted, the three pagination styles, and fault injection through `sim.server.faults`.
 *
 * Repositories and artifacts are seeded (`pushArtifact`) until a real registry is attached
 * (`attachRegistry`); then they are a view of it, read on every request (see registry-mirror.ts).
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ScopeAction } from '../../clients/provider.ts';
import { type RegistryAccessVerifier, repositoryMatches } from '../core/registry-access.ts';
import type { RegistryView } from '../core/registry-view.ts';
import { type SimRequest, type SimResponse, SimServer } from '../core/server.ts';
import { IonosRegistryMirror } from './registry-mirror.ts';
import { errorBody } from './render.ts';
import { imageRoutes } from './routes-images.ts';
import { type IonosSimContext, registryRoutes } from './routes-registries.ts';
import { tokenRoutes } from './routes-tokens.ts';
import { IonosWorld, type SimPrincipal, type SimRegistry, type SimToken } from './state.ts';

/** A user of the simulated API. Unprivileged users lack `accessAndManageRegistries` (403). */
export interface IonosSimUser {
  email: string;
  password: string;
  privileged?: boolean | undefined;
}

/** An IONOS Cloud API token accepted as Bearer. */
export interface IonosSimApiToken {
  token: string;
  privileged?: boolean | undefined;
}

/** Options of {@link IonosSimulator}. */
export interface IonosSimulatorOptions {
  /** Docker host reported for every registry (e.g. `127.0.0.1:5000`); default `<name>.cr.<loc>.ionos.com`. */
  registryHost?: string | undefined;
  /** Location IDs (default de/fra, de/txl). */
  locations?: string[] | undefined;
  /** New → Running (default 3 s). */
  provisionDelayMs?: number | undefined;
  /** BUSY after an update (default 1 s). */
  updateDelayMs?: number | undefined;
  /** DESTROYING → 404 (default 2 s). */
  deletionDelayMs?: number | undefined;
  /**
   * Shortest allowed token lifetime (default 1 h: "The DCD docs say expiry must be ≥1 h in the
   * future", shared/providers/ionos.md). A test that needs less says so where it starts one.
   */
  minTokenLifetimeMs?: number | undefined;
  /** Accepted users (default: one privileged user and one unprivileged, with random passwords). */
  users?: IonosSimUser[] | undefined;
  /** Accepted API tokens (default: one random privileged token). */
  apiTokens?: IonosSimApiToken[] | undefined;
  /** Base clock (default Date.now); `advance` adds to it. */
  now?: (() => number) | undefined;
  /** Seed of the background fault randomness. */
  seed?: number | undefined;
}

/** The path below the host where the API lives, as at api.ionos.com. */
export const IONOS_SIM_PREFIX = '/containerregistries';

/** The simulator. `await sim.start()` gives the base URL to pass to the adapter. */
export class IonosSimulator {
  readonly server: SimServer;
  readonly world: IonosWorld;
  readonly users: IonosSimUser[];
  readonly apiTokens: IonosSimApiToken[];
  /** Checks docker logins against the token state (for the registry token service). */
  readonly registryAccess: RegistryAccessVerifier;
  /** The shortest token lifetime this simulator accepts (IONOS's hour unless configured). */
  readonly minTokenLifetimeMs: number;
  private readonly principals = new Map<string, SimPrincipal>();
  private baseUrl = '';
  private mirror: IonosRegistryMirror | undefined;

  constructor(options: IonosSimulatorOptions = {}) {
    this.world = new IonosWorld(
      {
        provisionMs: options.provisionDelayMs ?? 3000,
        updateMs: options.updateDelayMs ?? 1000,
        deletionMs: options.deletionDelayMs ?? 2000,
      },
      options.now,
    );
    this.users = options.users ?? [
      { email: 'berth@example.com', password: secret(), privileged: true },
      { email: 'viewer@example.com', password: secret(), privileged: false },
    ];
    this.apiTokens = options.apiTokens ?? [{ token: secret(), privileged: true }];
    this.minTokenLifetimeMs = options.minTokenLifetimeMs ?? 3_600_000;
    const ctx: IonosSimContext = {
      world: this.world,
      registryHost: options.registryHost,
      locations: options.locations ?? ['de/fra', 'de/txl'],
      minTokenLifetimeMs: this.minTokenLifetimeMs,
      principal: (req) => this.identify(req)?.principal ?? { name: 'unknown', userId: randomUUID() },
      mirror: () => this.mirror,
    };
    this.server = new SimServer({
      prefix: IONOS_SIM_PREFIX,
      authenticate: (req) => this.authenticate(req),
      errorBody: (status, message) => errorBody(status, message),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    });
    registryRoutes(this.server, ctx);
    tokenRoutes(this.server, ctx);
    imageRoutes(this.server, ctx);
    this.registryAccess = { verify: (username, password) => this.verify(username, password) };
  }

  /** Starts listening (loopback unless `host` says otherwise); resolves the API base URL. */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.baseUrl = (await this.server.listen(port, host)) + IONOS_SIM_PREFIX;
    return this.baseUrl;
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    await this.server.close();
  }

  /** The API base URL once started. */
  get url(): string {
    return this.baseUrl;
  }

  /** E-mail and password of the first privileged user (for Basic auth). */
  get basicCredentials(): { username: string; password: string } {
    const user = this.users.find((u) => u.privileged !== false);
    if (!user) throw new Error('no privileged user configured');
    return { username: user.email, password: user.password };
  }

  /** The first privileged API token (for Bearer auth). */
  get apiToken(): string {
    const token = this.apiTokens.find((t) => t.privileged !== false);
    if (!token) throw new Error('no privileged API token configured');
    return token.token;
  }

  /** Moves simulated time forward: provisioning, deletions and token expiry catch up. */
  advance(ms: number): void {
    this.world.advance(ms);
  }

  /** Seeds a registry (Running at once unless `ready: false`). */
  addRegistry(input: {
    name: string;
    location?: string;
    id?: string;
    ready?: boolean;
    scanning?: boolean;
    gc?: { days: string[]; time: string };
    allowList?: string[];
  }): SimRegistry {
    return this.world.addRegistry({
      ...input,
      location: input.location ?? 'de/fra',
      ready: input.ready ?? true,
      by: { name: 'seed@example.com', userId: randomUUID() },
    });
  }

  /**
   * Puts a registry into an IONOS failure state, as the notes list them: Terraform "treats the
   * generic IONOS failure states `FAILED`, `FAILED_SUSPENDED`, `FAILED_UPDATING`,
   * `FAILED_DESTROYING` as errors" (shared/providers/ionos.md). GET then reports that state until
   * {@link recoverRegistry}; a DELETE starts the deletion afresh.
   */
  failRegistry(id: string, state = 'FAILED'): void {
    this.world.fail(this.registry(id), state);
  }

  /** Ends a failure: the registry reports Running again (or its deletion goes on). */
  recoverRegistry(id: string): void {
    this.world.recover(this.registry(id));
  }

  /** Marks a registry name as held by another customer (HEAD /names answers 200). */
  reserveName(name: string): void {
    this.world.foreignNames.add(name);
  }

  /** Seeds a token; returns it with its password (which the API will never show). */
  addToken(
    registryId: string,
    input: {
      name: string;
      expiresAt?: Date;
      status?: 'enabled' | 'disabled';
      scopes?: SimToken['scopes'];
    },
  ): SimToken {
    return this.world.addToken(this.registry(registryId), {
      name: input.name,
      expiresAt: input.expiresAt?.getTime(),
      status: input.status ?? 'enabled',
      scopes: input.scopes ?? [{ name: '*', type: 'repository', actions: ['pull'] }],
      createdBy: { name: 'seed@example.com', userId: randomUUID() },
    });
  }

  /**
   * Makes repositories and artifacts a view of this real registry: every listing reads it, and a
   * registry's repositories are the paths its tokens were granted `push` on (all IONOS registries
   * share the one test registry host). Seeded artifacts stay; one whose digest is in the registry
   * is bound to it (see registry-mirror.ts).
   */
  attachRegistry(view: RegistryView): void {
    this.mirror = new IonosRegistryMirror(this.world, view);
  }

  /**
   * Sets when a manifest in the attached registry was pushed (IONOS's `lastPushedAt`), to make an
   * image older; the registry records no push times, so it is otherwise the first time the
   * simulator saw the digest. Makes the path one of the registry's repositories and remembers the
   * digest, so an untagged manifest the simulator never saw tagged is listed too.
   */
  async setPushedAt(registryId: string, repository: string, digest: string, at: Date): Promise<void> {
    await this.attached().setPushedAt(this.registry(registryId), repository, digest, at.getTime());
  }

  /** Reads the attached registry now, so the state (`registry(id).repositories`) shows it. */
  async refresh(registryId: string): Promise<void> {
    await this.attached().syncRegistry(this.registry(registryId));
  }

  /** Seeds a manifest (creating the repository when needed). */
  pushArtifact(
    registryId: string,
    repository: string,
    input: { digest?: string; tags?: string[]; pushedAt?: Date; mediaType?: string } = {},
  ): string {
    const registry = this.registry(registryId);
    let repo = registry.repositories.get(repository);
    if (!repo) {
      repo = { name: repository, createdAt: this.world.now(), artifacts: new Map() };
      registry.repositories.set(repository, repo);
    }
    const digest = input.digest ?? `sha256:${randomBytes(32).toString('hex')}`;
    repo.artifacts.set(digest, {
      digest,
      tags: input.tags ?? [],
      mediaType: input.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
      pushedAt: input.pushedAt?.getTime() ?? this.world.now(),
      pushCount: 1,
      pullCount: 0,
    });
    registry.storageBytes += 1024;
    return digest;
  }

  /** Counts a pull of a manifest (what the registry would report after a docker pull); with a registry attached, `refresh` first. */
  recordPull(registryId: string, repository: string, digest: string): void {
    const artifact = this.registry(registryId).repositories.get(repository)?.artifacts.get(digest);
    if (!artifact) throw new Error(`no artifact ${digest} in ${repository}`);
    artifact.pullCount++;
    artifact.pulledAt = this.world.now();
  }

  private attached(): IonosRegistryMirror {
    if (!this.mirror) throw new Error('no registry attached to the IONOS simulator');
    return this.mirror;
  }

  /** A registry by ID (after due processes ran); throws when absent. */
  registry(id: string): SimRegistry {
    this.world.settle();
    const registry = this.world.registries.get(id);
    if (!registry) throw new Error(`no registry ${id} in the simulator`);
    return registry;
  }

  /** A registry by name, if present. */
  registryByName(name: string): SimRegistry | undefined {
    this.world.settle();
    return [...this.world.registries.values()].find((r) => r.name === name);
  }

  private identify(req: SimRequest): { principal: SimPrincipal; privileged: boolean } | undefined {
    const header = req.headers.authorization ?? '';
    const [scheme, value = ''] = header.split(' ', 2);
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = this.users.find(
        (u) => u.email === decoded.slice(0, colon) && same(u.password, decoded.slice(colon + 1)),
      );
      return user && { principal: this.principal(user.email), privileged: user.privileged !== false };
    }
    if (scheme?.toLowerCase() === 'bearer') {
      const token = this.apiTokens.find((t) => same(t.token, value));
      return (
        token && {
          principal: this.principal('api-token-user@example.com'),
          privileged: token.privileged !== false,
        }
      );
    }
    return undefined;
  }

  private authenticate(req: SimRequest): SimResponse | undefined {
    const who = this.identify(req);
    if (!who) {
      return {
        status: 401,
        body: errorBody(401, 'Unauthorized, wrong or no api key provided to process this request'),
      };
    }
    if (!who.privileged) {
      return {
        status: 403,
        body: errorBody(403, 'the user needs the accessAndManageRegistries privilege for this request'),
      };
    }
    return undefined;
  }

  private principal(name: string): SimPrincipal {
    let principal = this.principals.get(name);
    if (!principal) {
      principal = { name, userId: randomUUID() };
      this.principals.set(name, principal);
    }
    return principal;
  }

  /** Docker login: username = token name, password = the one from the create response. */
  private verify(username: string, password: string): ((repository: string) => ScopeAction[]) | undefined {
    this.world.settle();
    for (const registry of this.world.registries.values()) {
      if (registry.deletingSince !== undefined) continue;
      for (const token of registry.tokens.values()) {
        if (token.name !== username || token.status !== 'enabled' || !same(token.password, password))
          continue;
        const scopes = token.scopes.filter((s) => s.type === 'repository');
        return (repository) => {
          const actions = new Set<ScopeAction>();
          for (const scope of scopes) {
            if (!repositoryMatches(scope.name, repository)) continue;
            for (const action of scope.actions) actions.add(action as ScopeAction);
          }
          // A path this registry may push to is one of its repositories on the shared host.
          if (actions.has('push')) this.mirror?.claim(registry.id, repository);
          return [...actions];
        };
      }
    }
    return undefined;
  }
}

function secret(): string {
  return randomBytes(24).toString('base64url');
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
