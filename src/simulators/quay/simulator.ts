import { randomBytes } from 'node:crypto';
import type { ScopeAction } from '../../clients/provider.ts';
import { LimitReq, type RequestRateLimit } from '../core/limit-req.ts';
import type { RegistryAccessVerifier } from '../core/registry-access.ts';
import type { RegistryView } from '../core/registry-view.ts';
import { SimServer } from '../core/server.ts';
import { QuayAccess, QuayErrors } from './access.ts';
import type { QuaySimContext } from './context.ts';
import { type QuaySimulatorOptions, seconds, settingsOf } from './options.ts';
import { QuayRegistryMirror } from './registry-mirror.ts';
import { registerAutoPruneRoutes, runAutoPrune } from './routes-autoprune.ts';
import { registerOrganizationRoutes } from './routes-org.ts';
import { registerRepositoryRoutes } from './routes-repos.ts';
import { registerRobotRoutes } from './routes-robots.ts';
import { registerTagRoutes } from './routes-tags.ts';
import {
  ALL_SCOPES,
  isActive,
  type QuayScope,
  QuayState,
  robotToken,
  type SimOrganization,
  type SimRepository,
  type SimRobot,
  type SimTag,
} from './state.ts';

export type { QuaySimulatorOptions } from './options.ts';

/**
 * quay.io's limit on /api/ (FEATURE_RATE_LIMITS, on for quay.io; research notes §9: "/api/: 5 r/s
 * with burst 25 per IP (HTTP/1)"; conf/nginx: `limit_req zone=dynamicauth_heavy_http1 burst=25 nodelay`).
 */
export const QUAY_IO_API_RATE_LIMIT: RequestRateLimit = { perSecond: 5, burst: 25 };

/**
 * A stateful fake of the Quay API (/api/v1) for tests: organizations, robots (tokens visible to
 * org admins, regenerate kills the old one at once), repositories with per-user/robot roles, tags
 * with history, and auto-prune policies; Quay's status codes and error bodies (401 anonymous, 403
 * for an anonymous write, without rights or for a missing organization, 400 for a missing robot),
 * and quay.io's nginx rate limit on /api/ unless told otherwise. Faults: `server.faults`.
 *
 * Tags are seeded (`pushTag`) until a real registry is attached (`attachRegistry`); then each
 * repository's tags are a view of `<org>/<repo>` there, read on every request (registry-mirror.ts).
 */
export class QuaySimulator {
  readonly server: SimServer;
  readonly state = new QuayState();
  /** The default user's OAuth token. */
  readonly token: string;
  readonly username: string;
  /** Docker logins against the robots, for the registry token service. */
  readonly registryAccess: RegistryAccessVerifier;
  private readonly ctx: QuaySimContext;

  constructor(options: QuaySimulatorOptions = {}) {
    const errors = new QuayErrors(() => this.server.url);
    const rateLimits = options.rateLimits ?? QUAY_IO_API_RATE_LIMIT;
    this.server = new SimServer({
      prefix: '/api/v1',
      seed: options.seed ?? 1,
      rateLimit: rateLimits === false ? undefined : new LimitReq(rateLimits),
      authenticate: (req) => {
        if (this.ctx.access.caller(req)) return undefined;
        // Writes fail the CSRF check before any handler can say 401 (QuayErrors.csrf).
        const refusal =
          req.method === 'GET' || req.method === 'HEAD' ? errors.unauthorized(undefined) : errors.csrf();
        return { status: refusal.status, body: refusal.body };
      },
      errorBody: (status, message) => {
        if (status === 429) return 'Too Many Requests'; // nginx's limit_req answers text, not JSON
        // Quay's read-only mode is its own 503; other 5xx come from the proxy or a crash.
        if (status === 503)
          return { message: `${message}: system is currently read-only`, is_readonly: true };
        if (status >= 500) return { message };
        return errors.body(status, status === 404 ? 'not_found' : 'invalid_request', message);
      },
    });
    const settings = settingsOf(options);
    this.ctx = {
      server: this.server,
      state: this.state,
      errors,
      access: new QuayAccess(this.state, errors),
      settings,
      now: options.now ?? Date.now,
    };
    this.token = options.token ?? randomBytes(20).toString('hex');
    this.username = options.username ?? 'berth-admin';
    this.addToken(this.token, { username: this.username, scopes: options.scopes ?? [...ALL_SCOPES] });
    registerOrganizationRoutes(this.ctx);
    registerRobotRoutes(this.ctx);
    registerAutoPruneRoutes(this.ctx);
    registerTagRoutes(this.ctx);
    registerRepositoryRoutes(this.ctx);
    this.registryAccess = { verify: (username, password) => this.verifyLogin(username, password) };
  }

  /** Starts listening; resolves the instance URL (without `/api/v1`), e.g. `http://127.0.0.1:40123`. */
  start(port = 0, host = '127.0.0.1'): Promise<string> {
    return this.server.listen(port, host);
  }

  /** Stops listening. */
  stop(): Promise<void> {
    return this.server.close();
  }

  /** The instance URL once started. */
  get url(): string {
    return this.server.url;
  }

  /** The docker registry host reported for the organizations. */
  get registryHost(): string {
    return this.ctx.settings.registryHost;
  }

  /** Switches the /api/ rate limit (see {@link QuaySimulatorOptions.rateLimits}); fresh buckets. */
  setRateLimits(limits: RequestRateLimit | false): void {
    this.server.rateLimit = limits === false ? undefined : new LimitReq(limits);
  }

  /** Replaces the clock (milliseconds). */
  setClock(now: () => number): void {
    this.ctx.now = now;
  }

  /** Adds an OAuth token for a user (created if new). */
  addToken(token: string, grant: { username: string; scopes: readonly QuayScope[] }): void {
    this.state.users.add(grant.username);
    this.state.tokens.set(token, { username: grant.username, scopes: new Set(grant.scopes) });
  }

  /** Revokes an OAuth token: later requests with it are anonymous. */
  revokeToken(token: string): void {
    this.state.tokens.delete(token);
  }

  /** Seeds an organization administered by the default user (unless `admins` says otherwise). */
  addOrganization(name: string, options: { admins?: string[]; email?: string; tagExpiration?: string } = {}) {
    return this.state.addOrganization(name, {
      admins: options.admins ?? [this.username],
      ...(options.email !== undefined ? { email: options.email } : {}),
      ...(options.tagExpiration !== undefined ? { tagExpirationS: seconds(options.tagExpiration) } : {}),
    });
  }

  /** Seeds a repository (the organization must exist). */
  addRepository(
    org: string,
    name: string,
    options: { visibility?: 'public' | 'private' } = {},
  ): SimRepository {
    return this.state.addRepository(this.org(org), name, options);
  }

  /** Seeds a robot directly; returns it (with its token). */
  addRobot(org: string, shortname: string, options: { description?: string } = {}): SimRobot {
    const organization = this.org(org);
    const robot: SimRobot = {
      shortname,
      description: options.description ?? '',
      metadata: {},
      token: robotToken(),
      created: this.ctx.now(),
      lastAccessed: null,
    };
    organization.robots.set(shortname, robot);
    return robot;
  }

  /**
   * Makes the repositories' tags a view of this real registry (`<org>/<repo>` in it): every tag
   * read reads it, and tag deletes and retargets change it. Seeded tags stay unless the registry
   * has one of the same name (see registry-mirror.ts).
   */
  attachRegistry(view: RegistryView): void {
    this.ctx.mirror = new QuayRegistryMirror(() => this.ctx.now(), view);
  }

  /**
   * Sets when a tag in the attached registry was pushed (its `start_ts`), or every tag on a
   * digest (`sha256:...`), to make it older; the registry records no push times, so a tag's start
   * is otherwise when the simulator first saw it on its digest.
   */
  async setPushedAt(org: string, repo: string, tagOrDigest: string, at: number): Promise<void> {
    const { organization, repository } = this.existing(org, repo);
    await this.attached().setPushedAt(organization, repository, tagOrDigest, at);
  }

  /** Reads a repository from the attached registry now, so its tag rows (`repository(...)`) show it. */
  async refresh(org: string, repo: string): Promise<void> {
    const { organization, repository } = this.existing(org, repo);
    await this.attached().syncRepository(organization, repository);
  }

  /** Pushes (or retargets) a tag, as a docker push would; `pushedAt` in ms defaults to now. */
  pushTag(
    org: string,
    repo: string,
    tag: string,
    options: { digest?: string; pushedAt?: number; size?: number | null; immutable?: boolean } = {},
  ): SimTag {
    const repository = this.org(org).repositories.get(repo) ?? this.addRepository(org, repo);
    const digest = options.digest ?? `sha256:${randomBytes(32).toString('hex')}`;
    return this.state.pushTag(repository, tag, {
      digest,
      at: options.pushedAt ?? this.ctx.now(),
      ...(options.size !== undefined ? { size: options.size } : {}),
      ...(options.immutable !== undefined ? { immutable: options.immutable } : {}),
    });
  }

  /** The organization, or undefined. */
  organization(name: string): SimOrganization | undefined {
    return this.state.organizations.get(name);
  }

  /** A robot by short name, or undefined. */
  robot(org: string, shortname: string): SimRobot | undefined {
    return this.state.organizations.get(org)?.robots.get(shortname);
  }

  /** A repository, or undefined. */
  repository(org: string, name: string): SimRepository | undefined {
    return this.state.organizations.get(org)?.repositories.get(name);
  }

  /** Names of the active tags of a repository. */
  activeTags(org: string, repo: string): string[] {
    const now = this.ctx.now();
    return (this.repository(org, repo)?.tags ?? []).filter((t) => isActive(t, now)).map((t) => t.name);
  }

  /** Runs the autoprune worker once (Quay: every 30 s, per namespace at most hourly); returns `org/repo:tag`s. */
  runAutoPrune(): string[] {
    return runAutoPrune(this.ctx);
  }

  private attached(): QuayRegistryMirror {
    if (!this.ctx.mirror) throw new Error('no registry attached to the Quay simulator');
    return this.ctx.mirror;
  }

  private existing(org: string, repo: string): { organization: SimOrganization; repository: SimRepository } {
    const organization = this.org(org);
    const repository = organization.repositories.get(repo);
    if (!repository) throw new Error(`no repository ${org}/${repo} in the simulator`);
    return { organization, repository };
  }

  private org(name: string): SimOrganization {
    const org = this.state.organizations.get(name);
    if (!org) throw new Error(`no organization ${name} in the simulator`);
    return org;
  }

  /**
   * A docker login as Quay checks it on /v2/auth: `org+short` with the robot's current token (a
   * regenerated robot's old token fails at once). Repositories are `org/name`; roles map to
   * read → pull, write/admin → pull, push, delete; public repositories allow pull.
   */
  private verifyLogin(
    username: string,
    password: string,
  ): ((repository: string) => ScopeAction[]) | undefined {
    const found = this.state.robotByUsername(username);
    if (!found || found.robot.token !== password) return undefined;
    found.robot.lastAccessed = this.ctx.now();
    const { org } = found;
    return (repository) => {
      if (!repository.startsWith(`${org.name}/`)) return [];
      const repo = org.repositories.get(repository.slice(org.name.length + 1));
      if (!repo) return [];
      const role = repo.permissions.get(username);
      if (role === 'write' || role === 'admin') return ['pull', 'push', 'delete'];
      if (role === 'read' || repo.visibility === 'public') return ['pull'];
      return [];
    };
  }
}
