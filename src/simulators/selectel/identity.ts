/**
 * A fake of Selectel's Keystone (`/identity/v3/auth/tokens`): service users log in with username,
 * password and account (the Keystone domain) and get a project-scoped IAM token in the
 * `X-Subject-Token` header, valid for a configurable lifetime (24 h at Selectel), with the service
 * catalog unless `?nocatalog` is asked. CRaaS routes check it through {@link IdentityService.session}.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SimError, type SimRequest, type SimResponse, type SimServer } from '../core/server.ts';
import type { SimState } from './state.ts';

/** A service user and the projects it may scope tokens to. */
export interface SimServiceUser {
  username: string;
  password: string;
  /** The Selectel account number, used as the Keystone domain name. */
  accountId: string;
  projects: string[];
  /** `reader` may only read: CRaaS answers 403 to anything else. Default `member`. */
  role?: 'member' | 'reader' | undefined;
}

/** What a valid IAM token stands for. */
export interface IamSession {
  userId: string;
  projectId: string | undefined;
  role: 'member' | 'reader';
  expiresAt: number;
}

/** One endpoint of a catalog entry, in the shape go-selvpcclient's fixture shows (testutils/fakes.go). */
export interface CatalogEndpoint {
  id: string;
  interface: 'public' | 'internal' | 'admin';
  region_id: string;
  region: string;
  url: string;
}

/** One service of the Keystone catalog; berth reads CRaaS by `type`. */
export interface CatalogEntry {
  endpoints: CatalogEndpoint[];
  id: string;
  type: string;
  name: string;
}

/**
 * The catalog a Selectel project-scoped token carries, for a simulator at `baseUrl`: the CRaaS
 * types terraform-provider-selectel reads (`container-registry` = the v1 API, `container-registry-v2`
 * = v2; selectel/service_types.go), one public endpoint each since CRaaS has no regions
 * (selectel/craas.go refuses more than one), beside a service berth does not use.
 */
export function craasCatalog(baseUrl: string): CatalogEntry[] {
  const entry = (type: string, url: string): CatalogEntry => ({
    endpoints: [
      { id: hexId(), interface: 'public', region_id: 'ru-1', region: 'ru-1', url },
      {
        id: hexId(),
        interface: 'admin',
        region_id: 'ru-1',
        region: 'ru-1',
        url: 'http://ru-1.openstack:63079',
      },
    ],
    id: hexId(),
    type,
    name: type,
  });
  return [
    entry('quota-manager', `${baseUrl}/quota-manager/v1`),
    entry('container-registry', `${baseUrl}/api/v1`),
    entry('container-registry-v2', `${baseUrl}/api/v2`),
  ];
}

function hexId(): string {
  return randomUUID().replaceAll('-', '');
}

/** Keystone's own error body. */
function keystoneError(code: number, title: string, message: string): SimError {
  return new SimError(code, { error: { code, title, message } });
}

const UNAUTHORIZED = () =>
  keystoneError(401, 'Unauthorized', 'The request you have made requires authentication.');

/** Keystone writes times with microseconds. */
function keystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** Users, issued IAM tokens and the Keystone route. */
export class IdentityService {
  readonly users: SimServiceUser[] = [];
  private readonly sessions = new Map<string, IamSession>();
  private readonly userIds = new Map<SimServiceUser, string>();
  private readonly state: SimState;
  lifetimeMs: number;
  /** The catalog issued tokens carry (set by the simulator once it listens; tests may replace it). */
  catalog: () => CatalogEntry[] = () => [];

  constructor(state: SimState, lifetimeMs: number) {
    this.state = state;
    this.lifetimeMs = lifetimeMs;
  }

  /** Registers `POST /identity/v3/auth/tokens` (public: it does its own authentication). */
  register(server: SimServer): void {
    server.route('POST', '/identity/v3/auth/tokens', (req) => this.login(req), { public: true });
  }

  /** Adds a service user. */
  addUser(user: SimServiceUser): void {
    this.users.push(user);
    this.userIds.set(user, hexId());
  }

  /** An IAM token for a project without logging in (for tests passing a token directly). */
  issue(projectId: string, role: 'member' | 'reader' = 'member', lifetimeMs = this.lifetimeMs): string {
    const value = `gAAAAAB${randomBytes(48).toString('base64url')}`;
    this.sessions.set(value, { userId: 'test', projectId, role, expiresAt: this.state.now() + lifetimeMs });
    return value;
  }

  /** The session of a token, or undefined when unknown or expired. */
  session(token: string | undefined): IamSession | undefined {
    if (!token) return undefined;
    const session = this.sessions.get(token);
    if (!session || session.expiresAt <= this.state.now()) return undefined;
    return session;
  }

  /** Makes every issued IAM token expire now (as if 24 h had passed). */
  expireAll(): void {
    for (const session of this.sessions.values()) session.expiresAt = this.state.now();
  }

  /** Every IAM token issued so far (for tests asserting they never leak). */
  issuedTokens(): string[] {
    return [...this.sessions.keys()];
  }

  private login(req: SimRequest): SimResponse {
    const auth = (req.body as { auth?: Record<string, unknown> } | undefined)?.auth;
    const identity = auth?.identity as { methods?: unknown; password?: { user?: Record<string, unknown> } };
    const user = identity?.password?.user;
    if (!Array.isArray(identity?.methods) || !identity.methods.includes('password') || !user) {
      throw keystoneError(400, 'Bad Request', 'Expecting to find identity in auth.');
    }
    const domain = user.domain as { name?: unknown; id?: unknown } | undefined;
    const account = domain?.name ?? domain?.id;
    const found = this.users.find(
      (u) => u.username === user.name && u.accountId === account && u.password === user.password,
    );
    if (!found) throw UNAUTHORIZED();
    const projectId = (auth?.scope as { project?: { id?: unknown } } | undefined)?.project?.id;
    if (projectId !== undefined && (typeof projectId !== 'string' || !found.projects.includes(projectId))) {
      throw UNAUTHORIZED();
    }
    const value = `gAAAAAB${randomBytes(48).toString('base64url')}`;
    const issuedAt = this.state.now();
    const session: IamSession = {
      userId: this.userIds.get(found) ?? '',
      projectId,
      role: found.role ?? 'member',
      expiresAt: issuedAt + this.lifetimeMs,
    };
    this.sessions.set(value, session);
    const domainBody = { id: found.accountId, name: found.accountId };
    return {
      status: 201,
      headers: { 'x-subject-token': value },
      body: {
        token: {
          methods: ['password'],
          user: { id: session.userId, name: found.username, domain: domainBody, password_expires_at: null },
          audit_ids: [randomBytes(16).toString('base64url')],
          expires_at: keystoneTime(session.expiresAt),
          issued_at: keystoneTime(issuedAt),
          ...(projectId ? { project: { id: projectId, name: projectId, domain: domainBody } } : {}),
          is_domain: false,
          roles: [{ id: hexId(), name: session.role }],
          ...(req.query.has('nocatalog') ? {} : { catalog: this.catalog() }),
        },
      },
    };
  }
}
