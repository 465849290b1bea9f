/**
 * The Selectel CRaaS provider: registries, v2 scoped tokens (or legacy v1 TTL tokens), images with
 * cleanup, and on-demand garbage collection, for one Selectel project.
 */
import { HttpClient, type TransportOptions } from '../http/client.ts';
import type { Provider } from '../provider.ts';
import { CraasApi, CraasTransport } from './api.ts';
import { SelectelAuth, type SelectelCredentials, type SelectelTransportOptions } from './auth.ts';
import type { SelectelContext } from './context.ts';
import { DEFAULT_API_ENDPOINT } from './endpoints.ts';
import { parseSelectelError } from './error-body.ts';
import { SelectelGarbageCollection, SelectelImages } from './images.ts';
import { SelectelRegistries } from './registries.ts';
import { SelectelTokens } from './tokens.ts';
import { SelectelTokensV1 } from './tokens-v1.ts';

/** Options of {@link createSelectelProvider}. */
export interface SelectelProviderOptions extends TransportOptions {
  /** The project (32 hex characters) the IAM token is scoped to; the provider serves only it. */
  projectId: string;
  /** A service user (username, password, accountId) or an IAM token given directly. */
  credentials: SelectelCredentials;
  /**
   * CRaaS API base without version (`<base>/v1`, `<base>/v2`), overriding the IAM token's catalog
   * (`container-registry`, `container-registry-v2`); without either, `https://cr.selcloud.ru/api`.
   */
  apiEndpoint?: string | undefined;
  /** Keystone base, default `https://cloud.api.selcloud.ru/identity/v3`. */
  identityEndpoint?: string | undefined;
  /** Docker login server; default: the host of the CRaaS API (`cr.selcloud.ru`), as terraform derives it. */
  registryHost?: string | undefined;
  /** `v2` (default): scoped tokens with names and expiry. `v1`: legacy TTL tokens, see tokens-v1.ts. */
  tokenApi?: 'v1' | 'v2' | undefined;
  /** Let garbage collection also delete untagged images (`delete-untagged`), default false. */
  gcDeleteUntagged?: boolean | undefined;
  /** Items per page when listing (default 100). */
  pageSize?: number | undefined;
  /** How long before expiry the IAM token is renewed (default 5 minutes). */
  renewIamTokenBeforeMs?: number | undefined;
  /** Injected for tests: the clock for IAM token expiry. */
  now?: (() => number) | undefined;
}

/** Selectel CRaaS behind berth's capability interfaces. */
export class SelectelProvider implements Provider {
  readonly name = 'selectel' as const;
  readonly registries: SelectelRegistries;
  readonly tokens: SelectelTokens | SelectelTokensV1;
  readonly images: SelectelImages;
  readonly garbageCollection: SelectelGarbageCollection;
  /** The endpoint methods, for callers that need more than the capabilities. */
  readonly api: CraasApi;

  constructor(
    ctx: SelectelContext,
    options: { tokenApi?: 'v1' | 'v2' | undefined; gcDeleteUntagged?: boolean | undefined },
  ) {
    this.api = ctx.api;
    this.registries = new SelectelRegistries(ctx);
    this.tokens = options.tokenApi === 'v1' ? new SelectelTokensV1(ctx) : new SelectelTokens(ctx);
    this.images = new SelectelImages(ctx);
    this.garbageCollection = new SelectelGarbageCollection(ctx, { deleteUntagged: options.gcDeleteUntagged });
  }

  /** Obtains an IAM token (UnauthorizedError when the service user is wrong) and lists one registry. */
  async verifyCredentials(): Promise<void> {
    await this.api.listRegistries({ limit: 1, offset: 0 });
  }
}

/** Builds the provider: one Keystone session (cached IAM token) and one HTTP client for CRaaS. */
export function createSelectelProvider(options: SelectelProviderOptions): SelectelProvider {
  const apiEndpoint = options.apiEndpoint?.replace(/\/+$/, '');
  const transport: SelectelTransportOptions = {};
  if (options.dispatcher) transport.dispatcher = options.dispatcher;
  if (options.limits) transport.limits = options.limits;
  if (options.retry) transport.retry = options.retry;
  if (options.timeoutMs !== undefined) transport.timeoutMs = options.timeoutMs;
  if (options.redactor) transport.redactor = options.redactor;
  if (options.sleep) transport.sleep = options.sleep;
  transport.metrics = options.metrics;
  transport.logger = options.logger;

  const http = new HttpClient({
    ...transport,
    provider: 'selectel',
    // Each request names its version's base (CraasTransport), known once the IAM token's catalog is.
    baseUrl: apiEndpoint ?? DEFAULT_API_ENDPOINT,
    // The IAM token is added per request by CraasTransport, which can renew it after a 401.
    auth: () => ({}),
    parseError: parseSelectelError,
  });
  // Held for the client's life, apart from the capped memory of issued credentials (redact.ts).
  const { credentials } = options;
  http.secrets.hold(http, 'apiKey', 'token' in credentials ? credentials.token : credentials.password);

  const auth = new SelectelAuth({
    credentials,
    projectId: options.projectId,
    identityEndpoint: options.identityEndpoint,
    apiEndpoint,
    transport,
    renewBeforeMs: options.renewIamTokenBeforeMs,
    now: options.now,
  });
  // The host the API answered from last, like terraform's getHostNameForCRaaS: read after a call.
  let apiHost = new URL(apiEndpoint ?? DEFAULT_API_ENDPOINT).host;
  const api = new CraasApi(new CraasTransport(http, auth, (base) => (apiHost = new URL(base).host)));
  const ctx: SelectelContext = {
    api,
    projectId: options.projectId,
    get registryHost() {
      return options.registryHost ?? apiHost;
    },
    pageSize: options.pageSize ?? 100,
    now: options.now ?? Date.now,
    logger: options.logger,
  };
  return new SelectelProvider(ctx, options);
}
