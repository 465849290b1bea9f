import {
  BadRequestError,
  ConflictError,
  type ProviderErrorContext,
  SchemaMismatchError,
} from '../http/errors.ts';
import type {
  IssuedCredential,
  IssueRequest,
  ObservedCredential,
  RenewalMode,
  ScopeUpdate,
  TokenRegistry,
  TokenScope,
  Tokens,
} from '../provider.ts';
import type { QuayApi } from './api.ts';
import { isNameTaken, isRobotMissing, isRobotTaken, organizationGone, type QuayContext } from './context.ts';
import { exceedsLicense, RobotGrants, repositoryVisibility } from './grants.ts';
import { invalidRobotName, planScopes, robotShortname, robotUsername } from './names.ts';
import type { QuayRobot, QuayRole } from './schemas.ts';

/** The scopes expanded against an organization, after creating the missing push repositories. */
interface ResolvedScopes {
  /** Repository to role: what the robot should have. */
  grants: Map<string, QuayRole>;
  /**
   * `repository: why` for each repository that could not be created (then left out of `grants`),
   * and each scope that reaches no repository yet.
   */
  problems: string[];
  /** Repository creations tried, and how many of them failed. */
  attempted: number;
  failed: number;
  firstError?: unknown;
}

/** What berth writes into every robot it creates, so a human sees who owns it. */
export const ROBOT_DESCRIPTION = 'Managed by berth; do not edit or delete by hand.';

/** The `unstructured_metadata` ownership marker (immutable after create, readable via GET). */
export const ROBOT_METADATA = { 'managed-by': 'berth' } as const;

/**
 * The Tokens capability for Quay: a credential is a robot account `org+short`. Robot tokens never
 * expire and cannot be extended; rotation creates a second robot and deletes the first, because
 * regenerating kills the old token at once (`regenerate` is offered for the explicit, disruptive mode).
 */
export class QuayTokens implements Tokens {
  readonly renewalModes: readonly RenewalMode[] = ['Rotate'];
  readonly expires = false;
  /** Quay has no pattern grants: `*` and `team/*` cover the repositories that exist when granted. */
  readonly expandsScopes = true;
  private readonly ctx: QuayContext;
  private readonly grants: RobotGrants;

  constructor(ctx: QuayContext) {
    this.ctx = ctx;
    this.grants = new RobotGrants(ctx);
  }

  private get api(): QuayApi {
    return this.ctx.api;
  }

  /**
   * Creates the robot and grants it the scopes' repositories. Order: expand scopes and create
   * missing push repositories first (nothing to clean up if that fails; visibility from
   * spec.quay.repositoryVisibility, a plan without private repositories is a BadRequestError naming
   * it), then the robot (never retried; an existing name is a ConflictError), then the grants; if a
   * grant fails the robot is deleted again (best effort; otherwise `listOwned` finds it) and the
   * error is rethrown.
   */
  async issue(request: IssueRequest): Promise<IssuedCredential> {
    const organization = request.registry.externalId;
    const short = request.name;
    const invalid = invalidRobotName(organization, short);
    if (invalid)
      throw new BadRequestError(
        `quay robots.create: robot name ${short} ${invalid}`,
        context(organization, short),
      );
    const { grants, problems } = await this.resolve(request.registry, request.scopes, { collect: false });
    let robot: QuayRobot;
    try {
      robot = await this.api.createRobot(organization, short, {
        description: ROBOT_DESCRIPTION,
        unstructured_metadata: { ...ROBOT_METADATA },
      });
    } catch (err) {
      if (isRobotTaken(err) && err instanceof BadRequestError)
        throw new ConflictError(err.message, err.context, { cause: err });
      throw err;
    }
    const id = robotUsername(organization, short);
    const token = robot.token;
    if (!token)
      throw new SchemaMismatchError(
        'quay robots.create: the response has no robot token',
        context(organization, short),
      );
    this.api.http.secrets.add(token);
    try {
      await this.grant(organization, id, grants);
    } catch (err) {
      await this.api.deleteRobot(organization, short).catch(() => undefined);
      throw err;
    }
    this.ctx.logger?.debug({ organization, robot: id, repositories: grants.size }, 'created quay robot');
    return {
      id,
      name: short,
      login: { server: this.ctx.server, username: id, password: token },
      scopes: { problems, reachesNothing: grants.size === 0 },
    };
  }

  /** `GET` the robot; undefined when it (or its organization) does not exist. The token is dropped. */
  async observe(registry: TokenRegistry, id: string): Promise<ObservedCredential | undefined> {
    const organization = registry.externalId;
    const short = robotShortname(organization, id);
    if (short === undefined) return undefined;
    try {
      const robot = await this.api.getRobot(organization, short);
      // Quay shows administrators the token on every GET: scrub it from anything later, never keep it.
      this.api.http.secrets.add(robot.token);
      return observed(robot, short);
    } catch (err) {
      if (isRobotMissing(err) || (await organizationGone(this.api, organization, err))) return undefined;
      throw err;
    }
  }

  /** One `GET robots?token=false` for the organization, filtered by short-name prefix. */
  async listOwned(registry: TokenRegistry, namePrefix: string): Promise<ObservedCredential[]> {
    const organization = registry.externalId;
    let robots: QuayRobot[];
    try {
      robots = await this.api.listRobots(organization, { token: false });
    } catch (err) {
      if (await organizationGone(this.api, organization, err)) return [];
      throw err;
    }
    const out: ObservedCredential[] = [];
    for (const robot of robots) {
      this.api.http.secrets.add(robot.token);
      const short = robotShortname(organization, robot.name);
      if (short?.startsWith(namePrefix)) out.push(observed(robot, short));
    }
    return out;
  }

  /** `DELETE` the robot (its grants go with it). Idempotent: a missing robot or organization is fine. */
  async revoke(registry: TokenRegistry, id: string): Promise<void> {
    const organization = registry.externalId;
    const short = robotShortname(organization, id);
    if (short === undefined) return;
    try {
      await this.api.deleteRobot(organization, short);
    } catch (err) {
      if (isRobotMissing(err) || (await organizationGone(this.api, organization, err))) return;
      throw err;
    }
  }

  /**
   * Regenerates the robot's token (never retried). The old token stops working immediately, so
   * pulls fail until the new one is in place: the explicit, disruptive renewal mode.
   */
  async regenerate(registry: TokenRegistry, id: string): Promise<IssuedCredential> {
    const organization = registry.externalId;
    const short = robotShortname(organization, id);
    if (short === undefined)
      throw new BadRequestError(
        `quay robots.regenerate: ${id} is not a robot of ${organization}`,
        context(organization, id),
      );
    const robot = await this.api.regenerateRobot(organization, short);
    if (!robot.token)
      throw new SchemaMismatchError(
        'quay robots.regenerate: the response has no robot token',
        context(organization, short),
      );
    this.api.http.secrets.add(robot.token);
    return { id, name: short, login: { server: this.ctx.server, username: id, password: robot.token } };
  }

  /**
   * Makes the robot's grants exactly the scopes, as they expand today: grants repositories that
   * match since issue, restores grants removed by hand, removes grants of repositories no longer in
   * the scopes and creates missing exact push repositories as `issue` does. Cheap enough for every
   * poll: one read of the robot's grants, the repository list (paged), and writes only for the
   * differences. A repository that cannot be created or granted becomes a `problems` line; only when
   * every write failed is the first failure thrown. A missing robot is a NotFoundError.
   */
  async updateScopes(
    registry: TokenRegistry,
    id: string,
    scopes: readonly TokenScope[],
  ): Promise<ScopeUpdate> {
    const organization = registry.externalId;
    const short = robotShortname(organization, id);
    if (short === undefined)
      throw new BadRequestError(
        `quay permissions.set: ${id} is not a robot of ${organization}`,
        context(organization, id),
      );
    const current = await this.grants.current(organization, short, id);
    const resolved = await this.resolve(registry, scopes, { collect: true });
    const changes = await this.grants.apply(organization, id, current, resolved.grants);
    const attempted = changes.attempted + resolved.attempted;
    const failed = changes.failed + resolved.failed;
    if (attempted > 0 && failed === attempted) throw resolved.firstError ?? changes.firstError;
    if (attempted > 0)
      this.ctx.logger?.debug(
        { organization, robot: id, writes: attempted, failed },
        'updated quay robot grants',
      );
    const reached = [...resolved.grants.keys()].filter((r) => !changes.notGranted.has(r) || current.has(r));
    return { problems: [...resolved.problems, ...changes.problems], reachesNothing: reached.length === 0 };
  }

  /**
   * Expands the scopes against the organization and creates the missing exact push repositories.
   * With `collect`, a repository that cannot be created is left out of the grants and reported;
   * otherwise its error is thrown (a 402 exceeds_license as a BadRequestError naming the field).
   */
  private async resolve(
    registry: TokenRegistry,
    scopes: readonly TokenScope[],
    options: { collect: boolean },
  ): Promise<ResolvedScopes> {
    const organization = registry.externalId;
    const visibility = repositoryVisibility(registry);
    const existing: string[] = [];
    for await (const repo of this.api.repositories(organization)) existing.push(repo.name);
    const plan = planScopes(scopes, existing);
    const out: ResolvedScopes = { grants: plan.grants, problems: [...plan.waiting], attempted: 0, failed: 0 };
    for (const repository of plan.create) {
      out.attempted++;
      try {
        await this.api.createRepository({ namespace: organization, repository, visibility, description: '' });
        this.ctx.logger?.debug(
          { organization, repository, visibility },
          'created quay repository for a token scope',
        );
      } catch (err) {
        if (isNameTaken(err)) continue;
        const clear = exceedsLicense(err, organization, repository) ?? err;
        if (!options.collect) throw clear;
        plan.grants.delete(repository);
        out.failed++;
        out.firstError ??= clear;
        out.problems.push(`${repository}: ${clear instanceof Error ? clear.message : String(clear)}`);
      }
    }
    return out;
  }

  private async grant(organization: string, id: string, grants: Map<string, QuayRole>): Promise<void> {
    for (const [repository, role] of grants)
      await this.api.setUserPermission(organization, repository, id, role);
  }
}

function observed(robot: QuayRobot, short: string): ObservedCredential {
  return { id: robot.name, name: short, enabled: true, expiresAt: undefined };
}

function context(organization: string, short: string): ProviderErrorContext {
  return {
    provider: 'quay',
    operation: 'robots',
    method: 'PUT',
    path: `/organization/${organization}/robots/${short}`,
  };
}
