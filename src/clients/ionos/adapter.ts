/**
 * The IONOS Cloud Container Registry provider: registries, tokens (Rotate and Extend) and image
 * listing. No on-demand garbage collection exists at IONOS (only the weekly schedule, a registry
 * setting), so that capability is absent. `createIonosProvider` is the only constructor main.ts needs.
 */
import type { Logger } from 'pino';
import type { TransportOptions } from '../http/client.ts';
import { HttpClient } from '../http/client.ts';
import type { Provider } from '../provider.ts';
import { DEFAULT_PAGE_SIZE, IONOS_API_URL, IonosApi } from './api.ts';
import { parseIonosError } from './errors.ts';
import { type ExpiryFloor, IONOS_MIN_TOKEN_LIFETIME_MS } from './expiry.ts';
import { IonosImages } from './images.ts';
import { IonosRegistries } from './registries.ts';
import { IonosTokens } from './tokens.ts';

/** IONOS API credentials: an IONOS Cloud API token (Bearer) or the user's e-mail and password (Basic). */
export type IonosCredentials = { token: string } | { username: string; password: string };

/** Options of {@link createIonosProvider}. */
export interface IonosProviderOptions extends TransportOptions {
  credentials: IonosCredentials;
  /** Defaults to {@link IONOS_API_URL}; a simulator's URL in tests. */
  baseUrl?: string | undefined;
  /** Sent as `X-Contract-Number`, for users with several contracts. */
  contractNumber?: string | undefined;
  /** Page size of list calls (default 100). */
  pageSize?: number | undefined;
  /**
   * Shortest token lifetime the API accepts (default IONOS's hour). Only a simulator started with
   * a shorter minimum needs another value; the adapter never asks for less than this plus a margin.
   */
  minTokenLifetimeMs?: number | undefined;
  /** Injected for tests: the clock token expiries are measured on (a simulator's moved clock). */
  now?: (() => number) | undefined;
}

/** The IONOS provider. */
export class IonosProvider implements Provider {
  readonly name = 'ionos' as const;
  readonly api: IonosApi;
  readonly registries: IonosRegistries;
  readonly tokens: IonosTokens;
  readonly images: IonosImages;
  readonly garbageCollection = undefined;

  constructor(api: IonosApi, pageSize: number, logger?: Pick<Logger, 'debug'>, floor?: ExpiryFloor) {
    this.api = api;
    this.registries = new IonosRegistries(api, pageSize);
    this.tokens = new IonosTokens(api, pageSize, logger, floor);
    this.images = new IonosImages(api, pageSize);
  }

  /** Lists one registry: needs valid credentials and the registry privilege (401/403 otherwise). */
  async verifyCredentials(): Promise<void> {
    await this.api.listRegistries({ limit: 1 });
  }
}

/** Builds the IONOS provider on its own HttpClient; the credentials are registered for redaction. */
export function createIonosProvider(options: IonosProviderOptions): IonosProvider {
  const headers = authHeaders(options.credentials, options.contractNumber);
  const http = new HttpClient({
    provider: 'ionos',
    baseUrl: (options.baseUrl ?? IONOS_API_URL).replace(/\/+$/, ''),
    auth: () => headers,
    parseError: parseIonosError,
    ...defined({
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      limits: options.limits,
      dispatcher: options.dispatcher,
      metrics: options.metrics,
      logger: options.logger,
      redactor: options.redactor,
      sleep: options.sleep,
    }),
  });
  // Held for the client's life, apart from the capped memory of issued credentials (redact.ts).
  const credentials = options.credentials;
  http.secrets.hold(http, 'apiKey', 'token' in credentials ? credentials.token : credentials.password);
  http.secrets.hold(http, 'authorization', headers.authorization?.replace(/^\w+ /, ''));
  return new IonosProvider(new IonosApi(http), options.pageSize ?? DEFAULT_PAGE_SIZE, options.logger, {
    minLifetimeMs: options.minTokenLifetimeMs ?? IONOS_MIN_TOKEN_LIFETIME_MS,
    now: options.now ?? Date.now,
  });
}

/** The Authorization (and optional contract) headers for either credential kind. */
export function authHeaders(credentials: IonosCredentials, contractNumber?: string): Record<string, string> {
  const authorization =
    'token' in credentials
      ? `Bearer ${credentials.token}`
      : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  return contractNumber ? { authorization, 'x-contract-number': contractNumber } : { authorization };
}

/** Drops undefined values, so `exactOptionalPropertyTypes` options stay absent rather than undefined. */
function defined<T extends Record<string, unknown>>(
  values: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as never;
}
