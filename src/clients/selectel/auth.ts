/**
 * Authentication for CRaaS: every call carries `X-Auth-Token` with a project-scoped IAM (Keystone)
 * token. Tokens of a service user are obtained here, cached until shortly before they expire and
 * renewed; reconcilers never see or cache them (style-anchors 3.5). The token's service catalog
 * says where the CRaaS API is (endpoints.ts).
 */
import { HttpClient, type HttpClientOptions } from '../http/client.ts';
import { SchemaMismatchError } from '../http/errors.ts';
import {
  type CraasEndpoints,
  DEFAULT_API_ENDPOINT,
  endpointsBelow,
  endpointsFromCatalog,
  KeystoneCatalogSchema,
} from './endpoints.ts';
import { parseSelectelError } from './error-body.ts';
import { KeystoneTokenSchema } from './schemas.ts';

/** The production Keystone endpoint of Selectel. */
export const DEFAULT_IDENTITY_ENDPOINT = 'https://cloud.api.selcloud.ru/identity/v3';

/** Renew a cached IAM token this long before it expires (capped at a tenth of its lifetime). */
const DEFAULT_RENEW_BEFORE_MS = 5 * 60_000;

/** A Selectel service user (the account ID is its Keystone domain), or an IAM token given directly. */
export type SelectelCredentials =
  | { username: string; password: string; accountId: string }
  | { token: string };

/** Transport settings shared with the CRaaS client (dispatcher, limits, metrics, logger, ...). */
export type SelectelTransportOptions = Omit<
  HttpClientOptions,
  'provider' | 'baseUrl' | 'auth' | 'parseError'
>;

/** Options for {@link SelectelAuth}. */
export interface SelectelAuthOptions {
  credentials: SelectelCredentials;
  /** The project the token is scoped to: CRaaS objects are visible only within it. */
  projectId: string;
  identityEndpoint?: string | undefined;
  /** The CRaaS base (versions below it), overriding the catalog; see {@link SelectelAuth.endpoints}. */
  apiEndpoint?: string | undefined;
  transport?: SelectelTransportOptions | undefined;
  /** How long before expiry a cached token is renewed (default 5 minutes). */
  renewBeforeMs?: number | undefined;
  now?: (() => number) | undefined;
}

interface CachedToken {
  value: string;
  /** Local clock time after which the token is renewed. */
  renewAt: number;
  generation: number;
  /** The CRaaS endpoints this token's catalog names (the override or default without one). */
  endpoints: CraasEndpoints;
}

/**
 * Supplies `X-Auth-Token` headers. With service-user credentials it obtains a project-scoped token,
 * shares one request among concurrent callers, caches it to (nearly) its expiry and renews it; with a
 * token given directly it sends that token as is (a 401 then surfaces: nothing can renew it).
 */
export class SelectelAuth {
  /** True when the token can be renewed (service-user credentials), so a 401 is worth one retry. */
  readonly renewable: boolean;
  private readonly options: SelectelAuthOptions;
  private readonly identity: HttpClient | undefined;
  private readonly now: () => number;
  private cached: CachedToken | undefined;
  private pending: Promise<CachedToken> | undefined;
  private generations = 0;

  constructor(options: SelectelAuthOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    const { credentials, transport } = options;
    if ('token' in credentials) {
      this.renewable = false;
      // A token given directly comes without its catalog: the override, else the production API.
      const endpoints = endpointsBelow(options.apiEndpoint ?? DEFAULT_API_ENDPOINT);
      this.cached = { value: credentials.token, renewAt: Number.POSITIVE_INFINITY, generation: 0, endpoints };
      return;
    }
    this.renewable = true;
    this.identity = new HttpClient({
      ...transport,
      provider: 'selectel',
      baseUrl: (options.identityEndpoint ?? DEFAULT_IDENTITY_ENDPOINT).replace(/\/+$/, ''),
      auth: () => ({}),
      parseError: parseSelectelError,
    });
    this.identity.secrets.hold(this, 'password', credentials.password);
  }

  /**
   * The IAM token for the next request, obtained or renewed when due, with its generation (pass
   * that to {@link invalidate} if the API refuses the token).
   */
  async token(): Promise<{ value: string; generation: number }> {
    const { value, generation } = await this.current();
    return { value, generation };
  }

  /**
   * Where to send CRaaS calls made with the current token: `apiEndpoint` when set, else the public
   * `container-registry` (v1) and `container-registry-v2` (v2) endpoints of the token's catalog,
   * as terraform-provider-selectel reads them; obtains a token first if there is none.
   */
  async endpoints(): Promise<CraasEndpoints> {
    return (await this.current()).endpoints;
  }

  /**
   * Drops the cached token after the API refused it (revoked, or expired early), unless another
   * caller has already replaced it since `generation` was read.
   */
  invalidate(generation: number): void {
    if (this.renewable && this.cached?.generation === generation) this.cached = undefined;
  }

  private async current(): Promise<CachedToken> {
    const cached = this.cached;
    if (cached && this.now() < cached.renewAt) return cached;
    this.pending ??= this.obtain().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async obtain(): Promise<CachedToken> {
    const { credentials, projectId, apiEndpoint } = this.options;
    const identity = this.identity;
    if (!identity || 'token' in credentials) throw new Error('selectel: no credentials to renew the token');
    const requestedAt = this.now();
    const res = await identity.request({
      operation: 'identity.issueToken',
      method: 'POST',
      path: '/auth/tokens',
      // The catalog is only needed when no apiEndpoint overrides it.
      query: { nocatalog: apiEndpoint !== undefined ? true : undefined },
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: {
              user: {
                name: credentials.username,
                domain: { name: credentials.accountId },
                password: credentials.password,
              },
            },
          },
          scope: { project: { id: projectId } },
        },
      },
      schema: KeystoneTokenSchema.and(KeystoneCatalogSchema),
      // Asking for another IAM token has no side effect worth guarding, so transient failures retry.
      idempotent: true,
    });
    const value = res.headers['x-subject-token'];
    if (!value) {
      throw new SchemaMismatchError('selectel identity.issueToken: no X-Subject-Token header in the answer', {
        provider: 'selectel',
        operation: 'identity.issueToken',
        method: 'POST',
        path: '/auth/tokens',
        status: res.status,
      });
    }
    // One slot: a renewed IAM token replaces the last one (which moves to the capped memory).
    identity.secrets.hold(this, 'iamToken', value);
    const lifetime = lifetimeMs(res.data.token.expires_at, res.data.token.issued_at, requestedAt);
    const margin = Math.min(this.options.renewBeforeMs ?? DEFAULT_RENEW_BEFORE_MS, lifetime / 10);
    this.generations++;
    this.cached = {
      value,
      renewAt: requestedAt + lifetime - margin,
      generation: this.generations,
      endpoints:
        apiEndpoint !== undefined ? endpointsBelow(apiEndpoint) : this.fromCatalog(res.data.token.catalog),
    };
    return this.cached;
  }

  /** The catalog's endpoints; plain http only when the identity service is reached that way too. */
  private fromCatalog(catalog: Parameters<typeof endpointsFromCatalog>[0]): CraasEndpoints {
    const identity = this.options.identityEndpoint ?? DEFAULT_IDENTITY_ENDPOINT;
    const { endpoints, fallbacks } = endpointsFromCatalog(catalog, identity.startsWith('http:'));
    for (const line of fallbacks) this.options.transport?.logger?.warn(`selectel: ${line}`);
    return endpoints;
  }
}

/**
 * The token's lifetime by the identity service's own clock (expires_at - issued_at), so a skewed
 * local clock does not shorten or stretch the cache. Falls back to expires_at against local time.
 */
function lifetimeMs(expiresAt: string, issuedAt: string | undefined, requestedAt: number): number {
  const expires = Date.parse(expiresAt);
  const issued = issuedAt ? Date.parse(issuedAt) : Number.NaN;
  if (Number.isNaN(expires)) return 0;
  if (!Number.isNaN(issued)) return Math.max(0, expires - issued);
  return Math.max(0, expires - requestedAt);
}
