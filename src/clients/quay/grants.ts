/**
 * A robot's repository grants: reading them cheaply, and putting exactly the wanted ones in place
 * with as few writes as possible. Quay has no pattern grants, so `Tokens.updateScopes` (called on
 * every poll) compares what the robot has with what its scopes mean today.
 */
import { BadRequestError, ForbiddenError, NotFoundError, ProviderError } from '../http/errors.ts';
import type { TokenRegistry } from '../provider.ts';
import type { QuayApi } from './api.ts';
import { isRobotMissing, organizationGone, type QuayContext } from './context.ts';
import type { QuayRole } from './schemas.ts';

/** Repository (relative name) to the robot's role on it; undefined when the role could not be read. */
export type CurrentGrants = Map<string, QuayRole | undefined>;

/** What applying a set of changes did. */
export interface GrantChanges {
  /** `repository: why` for each change that failed. */
  problems: string[];
  attempted: number;
  failed: number;
  /** The first failure, rethrown by the caller when every attempt failed. */
  firstError?: unknown;
  /** Repositories whose grant failed (the robot may still hold an older role there). */
  notGranted: Set<string>;
}

/** The visibility of repositories berth creates: spec.quay.repositoryVisibility, Private by default. */
export function repositoryVisibility(registry: TokenRegistry): 'public' | 'private' {
  const { desired } = registry;
  return desired.provider === 'quay' && desired.settings.repositoryVisibility === 'Public'
    ? 'public'
    : 'private';
}

/**
 * Quay's 402 exceeds_license for a private repository (quay.io free plans have none, notes §6) as
 * a BadRequestError: only the user can fix it, so it names the field to change.
 */
export function exceedsLicense(
  err: unknown,
  organization: string,
  repository: string,
): BadRequestError | undefined {
  if (!(err instanceof ProviderError) || err.status !== 402) return undefined;
  return new BadRequestError(
    `quay repositories.create: the plan of organization ${organization} allows no private repository ` +
      `${repository} (402 exceeds_license); set spec.quay.repositoryVisibility: Public on the ` +
      'ContainerRegistry, or upgrade the plan',
    err.context,
    { cause: err },
  );
}

function roleOf(value: string): QuayRole | undefined {
  return value === 'read' || value === 'write' || value === 'admin' ? value : undefined;
}

/** Reads and changes one organization's robot grants. */
export class RobotGrants {
  private readonly ctx: QuayContext;
  /** Set once the token proved to lack user:admin: later reads go straight to the fallback. */
  private permissionsForbidden = false;

  constructor(ctx: QuayContext) {
    this.ctx = ctx;
  }

  private get api(): QuayApi {
    return this.ctx.api;
  }

  /**
   * The robot's grants in one request: `GET robots/{short}/permissions`, which needs the user:admin
   * scope besides org:admin (notes §1: "uses require_user_admin, a gotcha"). Without it (403), falls
   * back to `GET robots?permissions=true` (org:admin), which names the repositories but not the
   * roles, so a role changed by hand goes unnoticed; that is logged once. A missing robot (or
   * organization) is a NotFoundError.
   */
  async current(organization: string, short: string, id: string): Promise<CurrentGrants> {
    if (!this.permissionsForbidden) {
      try {
        const permissions = await this.api.getRobotPermissions(organization, short);
        return new Map(permissions.map((p) => [p.repository.name, roleOf(p.role)]));
      } catch (err) {
        if (isRobotMissing(err)) throw missingRobot(err, id);
        if (!(err instanceof ForbiddenError)) throw err;
        const fallback = await this.listed(organization, id, err);
        this.permissionsForbidden = true;
        this.ctx.logger?.warn(
          { organization },
          'the Quay API token lacks the user:admin scope that reading robot permissions needs: ' +
            'grants are compared by repository only, so a role changed by hand is not put back',
        );
        return fallback;
      }
    }
    return this.listed(organization, id);
  }

  /**
   * The robot's repositories from the organization's robot list, roles unknown. A 403 here is not
   * the scope gotcha but missing rights (rethrown as `refused`, the first 403, when given) or a
   * missing organization, and with it the robot.
   */
  private async listed(organization: string, id: string, refused?: unknown): Promise<CurrentGrants> {
    let robots: Awaited<ReturnType<QuayApi['listRobots']>>;
    try {
      robots = await this.api.listRobots(organization, { token: false, permissions: true });
    } catch (err) {
      if (await organizationGone(this.api, organization, err)) throw missingRobot(err, id);
      throw err instanceof ForbiddenError && refused !== undefined ? refused : err;
    }
    const robot = robots.find((r) => r.name === id);
    if (!robot)
      throw new NotFoundError(`quay robots.list: robot ${id} does not exist`, {
        provider: 'quay',
        operation: 'robots.list',
        method: 'GET',
        path: `/organization/${organization}/robots`,
      });
    return new Map((robot.repositories ?? []).map((name) => [name, undefined]));
  }

  /**
   * Makes the robot's grants `wanted`: PUT where a grant is missing or has another role (an
   * unknown role is left alone), DELETE where a repository is no longer wanted. Only this robot's
   * permissions are touched. Failures are collected per repository, never thrown.
   */
  async apply(
    organization: string,
    id: string,
    current: CurrentGrants,
    wanted: ReadonlyMap<string, QuayRole>,
  ): Promise<GrantChanges> {
    const out: GrantChanges = { problems: [], attempted: 0, failed: 0, notGranted: new Set() };
    const attempt = async (repository: string, change: () => Promise<unknown>, granting = false) => {
      out.attempted++;
      try {
        await change();
      } catch (err) {
        out.failed++;
        if (granting) out.notGranted.add(repository);
        out.firstError ??= err;
        out.problems.push(`${repository}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    for (const [repository, role] of wanted) {
      const has = current.get(repository);
      if (current.has(repository) && (has === undefined || has === role)) continue;
      await attempt(repository, () => this.api.setUserPermission(organization, repository, id, role), true);
    }
    for (const repository of current.keys()) {
      if (wanted.has(repository)) continue;
      await attempt(repository, () => this.revoke(organization, repository, id));
    }
    return out;
  }

  /** DELETE one grant; Quay's 400 "User does not have permission" means it is gone already. */
  private async revoke(organization: string, repository: string, id: string): Promise<void> {
    try {
      await this.api.deleteUserPermission(organization, repository, id);
    } catch (err) {
      if (err instanceof BadRequestError && /does not have permission/i.test(err.message)) return;
      throw err;
    }
  }
}

function missingRobot(err: unknown, id: string): NotFoundError {
  const context =
    err instanceof ProviderError
      ? err.context
      : { provider: 'quay' as const, operation: 'robots.permissions', method: 'GET', path: '' };
  return new NotFoundError(`quay robots.permissions: robot ${id} does not exist`, context, { cause: err });
}
