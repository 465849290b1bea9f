/**
 * The Selectel CRaaS provider: registries, v2 scoped tokens (or legacy v1 TTL tokens), images with
 * cleanup, and on-demand garbage collection, for one Selectel project.
 */
import { HttpClient, type TransportOptions } from '../http/client.ts';
import type { Provider } from '../provider.ts';
import { CraasApi, CraasTransport, DEFAULT_API_ENDPOINT } from './api.ts';
import { SelectelAuth, type SelectelCredentials, type SelectelTransportOptions } from './auth.ts';
import type { SelectelContext } from './context.ts';
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
  /** CRaaS API base without version, default `https://cr.selcloud.ru/api`. */
  apiEndpoint?: string | undefined;
  /** Keystone base, default `https://cloud.api.selcloud.ru/identity/v3`. */
  identityEndpoint?: string | undefined;
  /** Docker login server; default: the host of apiEndpoint (`cr.selcloud.ru`). */
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
  const apiEndpoint = (options.apiEndpoint ?? DEFAULT_API_ENDPOINT).replace(/\/+$/, '');
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
    baseUrl: apiEndpoint,
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
    transport,
    renewBeforeMs: options.renewIamTokenBeforeMs,
    now: options.now,
  });
  const ctx: SelectelContext = {
    api: new CraasApi(new CraasTransport(http, auth)),
    projectId: options.projectId,
    registryHost: options.registryHost ?? new URL(apiEndpoint).host,
    pageSize: options.pageSize ?? 100,
    now: options.now ?? Date.now,
    logger: options.logger,
  };
  return new SelectelProvider(ctx, options);
}
