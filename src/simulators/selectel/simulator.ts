/**
 * A stateful fake of Selectel CRaaS ("Container Registry API v2.2") and of the Keystone endpoint
 * that issues its IAM tokens, on SimServer. Routes: `/identity/v3/auth/tokens`, `/api/v1/...`,
 * `/api/v2/...`. A client needs only `identityEndpoint = <url>/identity/v3`: the token's catalog
 * names `<url>/api/v1` and `<url>/api/v2`; `apiEndpoint = <url>/api` overrides it.
 *
 * Repositories and images are seeded (`addImage`) until a real registry is attached
 * (`attachRegistry`); then they are a view of it, read on every request (see registry-mirror.ts).
 */
import type { RegistryView } from '../core/registry-view.ts';
import { type SimRequest, type SimResponse, SimServer } from '../core/server.ts';
import { SelectelRegistryAccess } from './access.ts';
import { craasError, errorBodyFor } from './http-util.ts';
import { craasCatalog, IdentityService, type SimServiceUser } from './identity.ts';
import { SelectelRegistryMirror } from './registry-mirror.ts';
import { registerRegistryRoutes } from './registry-routes.ts';
import { newDigest, type SimImage, type SimRegistry, type SimRegistryStatus, SimState } from './state.ts';
import { registerTokenRoutes, tokenJson } from './token-routes.ts';

/** Options of {@link SelectelSimulator}. */
export interface SelectelSimulatorOptions {
  /** Docker server host reported for registries, e.g. `127.0.0.1:5000` (default `cr.selcloud.ru`). */
  registryHost?: string | undefined;
  /** CREATING → ACTIVE after this long (default 200 ms). */
  createDurationMs?: number | undefined;
  /** DELETING → gone (404) after this long (default 200 ms). */
  deleteDurationMs?: number | undefined;
  /** GARBAGE_COLLECTION → ACTIVE after this long (default 200 ms). */
  gcDurationMs?: number | undefined;
  /** Lifetime of IAM tokens (default 24 h, as at Selectel). */
  iamTokenLifetimeMs?: number | undefined;
  /** Service users that may log in. */
  users?: SimServiceUser[] | undefined;
  /**
   * Serve the seed's paged v2 repository and image lists (default true). False leaves the v1 paths
   * craas-go uses, and the v2 ones answer 404 as a service without them would.
   */
  pagedListings?: boolean | undefined;
  /** Seed of the background fault randomness. */
  seed?: number | undefined;
  /** Base clock (default Date.now); {@link SelectelSimulator.advance} moves it further. */
  now?: (() => number) | undefined;
}

/** Seeds an image. */
export interface SimImageInput {
  tags?: string[] | undefined;
  digest?: string | undefined;
  /** Total size in bytes, split over two layers (default 1 MiB). */
  size?: number | undefined;
  /** When it is pushed (default now). The repository's `updatedAt` moves to it if later. */
  pushedAt?: Date | undefined;
  /**
   * The image config's creation time, listed as the image's `createdAt` (default: the push time, as
   * for an image built and pushed at once). Reproducible builds set 1970-01-01 or 0001-01-01.
   */
  createdAt?: Date | undefined;
  /** Cleanup refuses to delete it with this error. */
  lockedBy?: string | undefined;
}

/** The simulator; `await start()` then point the adapter at {@link apiEndpoint} and {@link identityEndpoint}. */
export class SelectelSimulator {
  /** The HTTP server: `faults`, `log`, `counts()`. */
  readonly server: SimServer;
  /** The state, for assertions beyond the helpers. */
  readonly state: SimState;
  readonly identity: IdentityService;
  /** Docker login checks against the simulated tokens. */
  readonly registryAccess: SelectelRegistryAccess;
  /** Docker server host of every registry. */
  readonly registryHost: string;
  private mirror: SelectelRegistryMirror | undefined;

  constructor(options: SelectelSimulatorOptions = {}) {
    this.registryHost = options.registryHost ?? 'cr.selcloud.ru';
    this.state = new SimState(
      {
        createMs: options.createDurationMs ?? 200,
        deleteMs: options.deleteDurationMs ?? 200,
        gcMs: options.gcDurationMs ?? 200,
      },
      options.now,
    );
    this.identity = new IdentityService(this.state, options.iamTokenLifetimeMs ?? 24 * 3_600_000);
    for (const user of options.users ?? []) this.identity.addUser(user);
    this.registryAccess = new SelectelRegistryAccess(this.state);
    this.server = new SimServer({
      authenticate: (req) => this.authenticate(req),
      errorBody: errorBodyFor,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    });
    this.identity.register(this.server);
    this.identity.catalog = () => craasCatalog(this.server.url);
    const projectOf = (req: SimRequest) => this.projectOf(req);
    registerRegistryRoutes(
      this.server,
      this.state,
      projectOf,
      () => this.mirror,
      options.pagedListings ?? true,
    );
    registerTokenRoutes(this.server, this.state, projectOf);
  }

  /** Listens on a free port (loopback unless `host` says otherwise); resolves the base URL. */
  start(port = 0, host = '127.0.0.1'): Promise<string> {
    return this.server.listen(port, host);
  }

  /** Stops listening. */
  stop(): Promise<void> {
    return this.server.close();
  }

  /** The base URL. */
  get url(): string {
    return this.server.url;
  }

  /** CRaaS base for clients (`<url>/api`; versions below it). */
  get apiEndpoint(): string {
    return `${this.server.url}/api`;
  }

  /** Keystone base for clients. */
  get identityEndpoint(): string {
    return `${this.server.url}/identity/v3`;
  }

  /** Adds a service user. */
  addServiceUser(user: SimServiceUser): void {
    this.identity.addUser(user);
  }

  /** An IAM token for a project, issued without a login (for the direct-token mode). */
  issueIamToken(projectId: string, role: 'member' | 'reader' = 'member', lifetimeMs?: number): string {
    return this.identity.issue(projectId, role, lifetimeMs);
  }

  /** Expires every IAM token now, as if their 24 h had passed. */
  expireIamTokens(): void {
    this.identity.expireAll();
  }

  /** Adds a registry (ACTIVE unless told otherwise). */
  addRegistry(projectId: string, name: string, status: SimRegistryStatus = 'ACTIVE'): SimRegistry {
    return this.state.addRegistry(projectId, name, status);
  }

  /**
   * Puts a registry into CRaaS's failed state, "`ERROR` → failed" (craas-go registry/schemas.go,
   * shared/providers/selectel.md), whatever it was doing; it stays there until {@link recoverRegistry}.
   */
  failRegistry(id: string): void {
    const registry = this.mustRegistry(id);
    registry.status = 'ERROR';
    registry.until = undefined;
  }

  /** Ends a failure: the registry is ACTIVE again. */
  recoverRegistry(id: string): void {
    const registry = this.mustRegistry(id);
    registry.status = 'ACTIVE';
    registry.until = undefined;
  }

  /** Adds an (empty) repository. */
  addRepository(registryId: string, name: string, type = 'image'): void {
    const registry = this.mustRegistry(registryId);
    if (!registry.repositories.has(name))
      registry.repositories.set(name, { name, type, updatedAt: this.state.now(), images: [] });
  }

  /**
   * Pushes an image to a repository (created by the push when missing). The push time is kept apart
   * from the config's creation time: only the repository's `updatedAt` shows it, as at Selectel.
   */
  addImage(registryId: string, repository: string, input: SimImageInput = {}): SimImage {
    const registry = this.mustRegistry(registryId);
    const pushedAt = input.pushedAt?.getTime() ?? this.state.now();
    const repo = registry.repositories.get(repository) ?? {
      name: repository,
      type: 'image',
      updatedAt: pushedAt,
      images: [],
    };
    registry.repositories.set(repository, repo);
    const size = input.size ?? 1_048_576;
    const half = Math.floor(size / 2);
    const image: SimImage = {
      digest: input.digest ?? newDigest(),
      tags: [...(input.tags ?? [])],
      createdAt: input.createdAt?.getTime() ?? pushedAt,
      pushedAt,
      layers: [
        { digest: newDigest(), size: half },
        { digest: newDigest(), size: size - half },
      ],
      architecture: 'amd64',
      os: 'linux',
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      lockedBy: input.lockedBy,
    };
    repo.images.push(image);
    repo.updatedAt = Math.max(repo.updatedAt, pushedAt);
    return image;
  }

  /**
   * Makes repositories and images a view of this real registry: every listing reads the paths
   * `<registry-name>/<image>` in it, and cleanup and deletes remove manifests there. Seeded images
   * stay; one whose digest is in the registry is bound to it (see registry-mirror.ts).
   */
  attachRegistry(view: RegistryView): void {
    const mirror = new SelectelRegistryMirror(this.state, view);
    this.mirror = mirror;
    // Deletes queue before any later read of the repository, so no listing shows them back.
    this.state.onCollected = (registry, repository, images) =>
      void mirror.deleteImages(registry, repository.name, images).catch(() => undefined);
  }

  /**
   * Sets when an image in the attached registry was pushed, to make it older (the registry records
   * no push times, so it is otherwise the first time the simulator saw it); the repository's
   * `updatedAt` follows. Remembers the digest, so an untagged image is listed too.
   */
  async setPushedAt(registryId: string, repository: string, digest: string, at: Date): Promise<void> {
    await this.attached().setPushedAt(this.mustRegistry(registryId), repository, digest, at.getTime());
  }

  /** Reads the attached registry now, so the state (`registry(id).repositories`) shows it. */
  async refresh(registryId: string): Promise<void> {
    await this.attached().syncRegistry(this.mustRegistry(registryId));
  }

  /** A registry by ID, whatever its project, or undefined once gone. */
  registry(id: string): SimRegistry | undefined {
    this.state.settle();
    return this.state.registries.get(id);
  }

  /** A registry by name, or undefined. */
  registryNamed(name: string): SimRegistry | undefined {
    this.state.settle();
    return [...this.state.registries.values()].find((r) => r.name === name);
  }

  /** v2 tokens as the API would list them (without secrets), optionally of one project. */
  tokens(projectId?: string): ReturnType<typeof tokenJson>[] {
    return [...this.state.tokensV2.values()]
      .filter((t) => projectId === undefined || t.projectId === projectId)
      .map((t) => tokenJson(this.state, t));
  }

  /** Moves simulated time forward; due processes finish and tokens may expire. */
  advance(ms: number): void {
    this.state.advance(ms);
  }

  /** Finishes provisioning, deletion and collection of every registry now. */
  finishProcesses(): void {
    this.state.finishAll();
  }

  private attached(): SelectelRegistryMirror {
    if (!this.mirror) throw new Error('no registry attached to the Selectel simulator');
    return this.mirror;
  }

  private mustRegistry(id: string): SimRegistry {
    const registry = this.state.registries.get(id);
    if (!registry) throw new Error(`no simulated registry ${id}`);
    return registry;
  }

  /** CRaaS requires a live project-scoped IAM token; `reader` users may only read. */
  private authenticate(req: SimRequest): SimResponse | undefined {
    this.state.settle();
    const session = this.identity.session(header(req, 'x-auth-token'));
    if (!session?.projectId) return { status: 401, body: { error: 'Unauthorized.' } };
    if (session.role === 'reader' && req.method !== 'GET')
      return { status: 403, body: { error: 'Forbidden.' } };
    return undefined;
  }

  private projectOf(req: SimRequest): string {
    const projectId = this.identity.session(header(req, 'x-auth-token'))?.projectId;
    if (!projectId) throw craasError(401, 'Unauthorized.');
    return projectId;
  }
}

function header(req: SimRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
