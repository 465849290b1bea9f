import type { TransportOptions } from '../http/client.ts';
import { HttpClient } from '../http/client.ts';
import type { Provider } from '../provider.ts';
import { QuayApi } from './api.ts';
import { parseQuayError } from './api-shapes.ts';
import { QuayAutoPrune } from './autoprune.ts';
import type { QuayContext } from './context.ts';
import { QuayImages } from './images.ts';
import { QuayNativeRetention } from './native-retention.ts';
import { QuayRegistries } from './registries.ts';
import { QuayTokens } from './tokens.ts';

/** quay.io, the default instance. */
export const QUAY_IO = 'https://quay.io';

/** Options of {@link createQuayProvider}. */
export interface QuayProviderOptions extends TransportOptions {
  /** The Quay instance (spec.quay.url), without `/api/v1`. Defaults to https://quay.io. */
  baseUrl?: string | undefined;
  /**
   * The OAuth access token (Bearer): scopes org:admin, repo:admin, repo:create, plus user:admin to
   * create organizations and to read robot roles (without it `updateScopes` compares by repository).
   */
  token: string;
  /**
   * The docker login host. Defaults to the host of `baseUrl`, which is Quay's SERVER_HOSTNAME on
   * quay.io and standard installs; set it when the registry is served elsewhere (a simulator's
   * `registryHost`, or an install behind a different host name).
   */
  registryHost?: string | undefined;
}

/**
 * Red Hat Quay / quay.io: organizations as registries, robot accounts as tokens, tags as images,
 * plus auto-prune policies (`autoPrune`) for CleanupPolicy Native mode. No garbage collection
 * capability: Quay collects by itself.
 */
export class QuayProvider implements Provider {
  readonly name = 'quay' as const;
  readonly registries: QuayRegistries;
  readonly tokens: QuayTokens;
  readonly images: QuayImages;
  readonly garbageCollection = undefined;
  readonly autoPrune: QuayAutoPrune;
  readonly nativeRetention: QuayNativeRetention;
  readonly api: QuayApi;

  constructor(ctx: QuayContext) {
    this.api = ctx.api;
    this.registries = new QuayRegistries(ctx);
    this.tokens = new QuayTokens(ctx);
    this.images = new QuayImages(ctx);
    this.autoPrune = new QuayAutoPrune(ctx.api);
    this.nativeRetention = new QuayNativeRetention(this.autoPrune);
  }

  /** `GET /user/`: throws UnauthorizedError for an invalid or expired token. */
  async verifyCredentials(): Promise<void> {
    await this.api.getUser();
  }
}

/** Builds the Quay provider for one instance and token. */
export function createQuayProvider(options: QuayProviderOptions): QuayProvider {
  const baseUrl = (options.baseUrl ?? QUAY_IO).replace(/\/+$/, '');
  const token = options.token;
  const http = new HttpClient({
    provider: 'quay',
    baseUrl: `${baseUrl}/api/v1`,
    auth: () => ({ authorization: `Bearer ${token}` }),
    parseError: parseQuayError,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    // Unset: quay.io's published /api/ limit (PROVIDER_LIMITS.quay, 5 r/s with burst 25).
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.redactor ? { redactor: options.redactor } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    metrics: options.metrics,
    logger: options.logger,
  });
  // Held for the client's life, apart from the capped memory of issued credentials (redact.ts).
  http.secrets.hold(http, 'apiKey', token);
  const server = options.registryHost ?? new URL(baseUrl).host;
  return new QuayProvider({ api: new QuayApi(http), server, logger: options.logger });
}
