/**
 * Pure mappings between berth's provider-neutral model and Quay's: robot names, scope patterns to
 * per-repository roles, and durations. No I/O, so they are tested on their own.
 */
import type { ScopeAction, TokenScope } from '../provider.ts';
import type { QuayRole } from './schemas.ts';

/** A robot short name (Quay util/validation.py), 2-255 characters. */
export const ROBOT_SHORTNAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Quay limits the full `org+short` robot name to 255 characters. */
export const MAX_ROBOT_USERNAME = 255;

/** The robot's full name, which is also its docker login user and berth's credential ID. */
export function robotUsername(organization: string, shortname: string): string {
  return `${organization}+${shortname}`;
}

/** Splits `org+short`; undefined when the ID is not a robot of that organization. */
export function robotShortname(organization: string, id: string): string | undefined {
  const prefix = `${organization}+`;
  if (!id.startsWith(prefix)) return undefined;
  const short = id.slice(prefix.length);
  return short === '' ? undefined : short;
}

/** Why a short name is not valid for Quay, or undefined when it is. */
export function invalidRobotName(organization: string, shortname: string): string | undefined {
  if (shortname.length < 2) return 'must be at least 2 characters long';
  if (!ROBOT_SHORTNAME.test(shortname))
    return 'must be lower-case letters and digits separated by single ., _ or -';
  if (robotUsername(organization, shortname).length > MAX_ROBOT_USERNAME)
    return `makes the robot name ${organization}+${shortname} longer than ${MAX_ROBOT_USERNAME} characters`;
  return undefined;
}

/**
 * Turns any name (a Kubernetes object name, say) into a valid robot short name: lower case, other
 * characters become `_`, runs of separators collapse, separators at the ends go. Names that come
 * out shorter than 2 characters are padded with `_x`.
 */
export function toRobotShortname(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '_')
    .replace(/[._-]{2,}/g, (run) => run[0] ?? '_')
    .replace(/^[._-]+|[._-]+$/g, '');
  return cleaned.length >= 2 ? cleaned : `${cleaned || 'x'}_x`;
}

/** The repository role an action set needs: pull is read; push and delete need write (Quay cannot split them). */
export function roleFor(actions: readonly ScopeAction[]): QuayRole {
  return actions.includes('push') || actions.includes('delete') ? 'write' : 'read';
}

const RANK: Record<QuayRole, number> = { read: 1, write: 2, admin: 3 };

/** The stronger of two roles. */
export function maxRole(a: QuayRole | undefined, b: QuayRole): QuayRole {
  return a !== undefined && RANK[a] >= RANK[b] ? a : b;
}

/** Whether a scope pattern has a wildcard (`*` or `prefix/*`). */
export function isPattern(pattern: string): boolean {
  return pattern.includes('*');
}

/** Whether a repository (relative to the organization) matches a scope pattern. */
export function matchesPattern(pattern: string, repository: string): boolean {
  if (pattern === '*' || pattern === repository) return true;
  if (pattern.endsWith('/*')) return repository.startsWith(pattern.slice(0, -1));
  return false;
}

/** What the scopes mean in one organization: roles per existing repository, and exact repos to create. */
export interface ScopePlan {
  /** Repository (relative name) to role. */
  grants: Map<string, QuayRole>;
  /** Exact repositories that do not exist yet and need creating before they can be granted. */
  create: string[];
  /**
   * `scope: why` for each scope that reaches no repository today: an exact pull-only repository
   * that does not exist (a pull scope does not create it), or a pattern that matches none. Quay
   * grants only existing repositories, so these are granted by a later poll once one appears.
   */
  waiting: string[];
}

/**
 * Expands scope patterns against the organization's repositories. Quay has no pattern grants, so a
 * pattern covers only repositories that exist now. An exact repository that does not exist is
 * created when the scope may push (a robot cannot create repositories by pushing unless it is an
 * org creator); a missing pull-only repository is not created (that would make an empty repository
 * on a reader's behalf) but reported in `waiting`, as is a pattern that matches nothing: a token
 * must never look fine while its credential can pull nothing.
 */
export function planScopes(scopes: readonly TokenScope[], existing: readonly string[]): ScopePlan {
  const grants = new Map<string, QuayRole>();
  const create: string[] = [];
  const waiting: string[] = [];
  const known = new Set(existing);
  for (const scope of scopes) {
    const role = roleFor(scope.actions);
    if (isPattern(scope.repository)) {
      const matched = existing.filter((repo) => matchesPattern(scope.repository, repo));
      for (const repo of matched) grants.set(repo, maxRole(grants.get(repo), role));
      if (matched.length === 0)
        waiting.push(`${scope.repository}: no repository matches it yet; granted when one exists`);
      continue;
    }
    if (!known.has(scope.repository)) {
      if (role === 'read') {
        waiting.push(
          `${scope.repository}: the repository does not exist yet (a pull scope does not create it); ` +
            'granted when it exists',
        );
        continue;
      }
      if (!create.includes(scope.repository)) create.push(scope.repository);
    }
    grants.set(scope.repository, maxRole(grants.get(scope.repository), role));
  }
  return { grants, create, waiting };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `2w` → 1209600; undefined for anything else. */
export function durationSeconds(value: string): number | undefined {
  const match = /^([0-9]+)([smhdw])$/.exec(value);
  const unit = match?.[2];
  if (!match || unit === undefined) return undefined;
  return Number(match[1]) * (UNIT_SECONDS[unit] ?? 0);
}

/** Parses Quay's RFC 2822 dates ("Fri, 10 May 2024 15:11:00 -0000"); undefined when absent or odd. */
export function parseQuayDate(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : new Date(at);
}
