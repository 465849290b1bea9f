import { randomBytes, randomUUID } from 'node:crypto';

/** OAuth scopes of Quay (auth/scopes.py). */
export type QuayScope =
  | 'repo:read'
  | 'repo:write'
  | 'repo:admin'
  | 'repo:create'
  | 'user:read'
  | 'user:admin'
  | 'org:admin'
  | 'super:user';

/** Every scope: what the default simulator token gets. */
export const ALL_SCOPES: readonly QuayScope[] = [
  'repo:read',
  'repo:write',
  'repo:admin',
  'repo:create',
  'user:read',
  'user:admin',
  'org:admin',
];

/** A repository role. */
export type Role = 'read' | 'write' | 'admin';

/** An OAuth access token and the user it acts for. */
export interface SimToken {
  username: string;
  scopes: Set<QuayScope>;
}

/** A robot account. */
export interface SimRobot {
  shortname: string;
  description: string;
  metadata: Record<string, unknown>;
  /** 64 characters [A-Z0-9]; replaced by regenerate. */
  token: string;
  created: number;
  lastAccessed: number | null;
}

/** One tag row: Quay keeps history, so a retargeted or deleted tag stays with an end time. */
export interface SimTag {
  name: string;
  digest: string;
  size: number | null;
  isManifestList: boolean;
  /** Milliseconds. */
  start: number;
  /** Milliseconds; the tag is active until then (deleted, expired or retargeted). */
  end?: number | undefined;
  immutable: boolean;
  reversion: boolean;
  /** A row of a tag in the registry behind the simulator (see registry-mirror.ts). */
  fromRegistry?: boolean | undefined;
  /** Its end is already so in the registry (the tag was deleted or moved there). */
  endedInRegistry?: boolean | undefined;
}

/** An auto-prune policy. */
export interface SimPolicy {
  uuid: string;
  method: 'number_of_tags' | 'creation_date';
  value: number | string;
  tagPattern: string | null;
  tagPatternMatches: boolean;
}

/** A repository. */
export interface SimRepository {
  name: string;
  description: string;
  visibility: 'public' | 'private';
  /** User and robot roles, keyed by user name (`org+short` for robots). */
  permissions: Map<string, Role>;
  tags: SimTag[];
  policies: Map<string, SimPolicy>;
}

/** An organization. */
export interface SimOrganization {
  name: string;
  email: string;
  tagExpirationS: number;
  admins: Set<string>;
  robots: Map<string, SimRobot>;
  repositories: Map<string, SimRepository>;
  policies: Map<string, SimPolicy>;
}

/** A robot token as Quay makes them: 64 characters, upper-case letters and digits. */
export function robotToken(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(64)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** A new policy or object uuid. */
export function newUuid(): string {
  return randomUUID();
}

/** Quay's date format (email.utils.formatdate): "Fri, 10 May 2024 15:11:00 -0000". */
export function formatDate(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '-0000');
}

/** A user's e-mail address (users have one; GET /user/ shows it, organizations may not reuse it). */
export function userEmail(username: string): string {
  return `${username}@example.com`;
}

/** Whether a tag row is active at `now`. */
export function isActive(tag: SimTag, now: number): boolean {
  return tag.end === undefined || tag.end > now;
}

/** The whole simulated installation: tokens, users and organizations. */
export class QuayState {
  readonly tokens = new Map<string, SimToken>();
  readonly users = new Set<string>();
  readonly organizations = new Map<string, SimOrganization>();

  /** Adds an organization (as Quay does on create, the creator becomes an administrator). */
  addOrganization(
    name: string,
    options: { admins?: string[]; email?: string; tagExpirationS?: number } = {},
  ): SimOrganization {
    const org: SimOrganization = {
      name,
      email: options.email ?? '',
      tagExpirationS: options.tagExpirationS ?? 1_209_600,
      admins: new Set(options.admins ?? []),
      robots: new Map(),
      repositories: new Map(),
      policies: new Map(),
    };
    this.organizations.set(name, org);
    return org;
  }

  /** Adds a repository to an organization. */
  addRepository(
    org: SimOrganization,
    name: string,
    options: { visibility?: 'public' | 'private'; description?: string } = {},
  ): SimRepository {
    const repo: SimRepository = {
      name,
      description: options.description ?? '',
      visibility: options.visibility ?? 'private',
      permissions: new Map(),
      tags: [],
      policies: new Map(),
    };
    org.repositories.set(name, repo);
    return repo;
  }

  /** The robot behind `org+short`, if both exist. */
  robotByUsername(username: string): { org: SimOrganization; robot: SimRobot } | undefined {
    const plus = username.indexOf('+');
    if (plus <= 0) return undefined;
    const org = this.organizations.get(username.slice(0, plus));
    const robot = org?.robots.get(username.slice(plus + 1));
    return org && robot ? { org, robot } : undefined;
  }

  /** Whether a user name is known: a token user or an existing robot. */
  userExists(username: string): boolean {
    return this.users.has(username) || this.robotByUsername(username) !== undefined;
  }

  /** Removes a robot and everything that refers to it (repository permissions). */
  deleteRobot(org: SimOrganization, shortname: string): void {
    org.robots.delete(shortname);
    const username = `${org.name}+${shortname}`;
    for (const repo of org.repositories.values()) repo.permissions.delete(username);
  }

  /** Points a tag at a digest: ends the active row of that name, if any, and adds a new one. */
  pushTag(
    repo: SimRepository,
    name: string,
    options: {
      digest: string;
      at: number;
      size?: number | null;
      immutable?: boolean;
      isManifestList?: boolean;
    },
  ): SimTag {
    for (const tag of repo.tags) if (tag.name === name && isActive(tag, options.at)) tag.end = options.at;
    const tag: SimTag = {
      name,
      digest: options.digest,
      size: options.size === undefined ? 1024 : options.size,
      isManifestList: options.isManifestList ?? false,
      start: options.at,
      immutable: options.immutable ?? false,
      reversion: false,
    };
    repo.tags.push(tag);
    return tag;
  }
}
