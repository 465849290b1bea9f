import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { OperatorMetrics } from '../metrics.ts';
import type { ProviderLimits } from './http/limiter.ts';
import { createIonosProvider } from './ionos/adapter.ts';
import {
  type CredentialData,
  CredentialsError,
  type DesiredRegistry,
  type Provider,
  type ProviderFactory,
} from './provider.ts';
import { createQuayProvider } from './quay/adapter.ts';
import { createSelectelProvider } from './selectel/adapter.ts';

export { type CredentialData, CredentialsError, type ProviderFactory } from './provider.ts';

/** Options for {@link createProviderFactory}. */
export interface ProviderFactoryOptions {
  metrics?: OperatorMetrics | undefined;
  logger?: Pick<Logger, 'debug' | 'warn'> | undefined;
  limits?: ProviderLimits | undefined;
  /**
   * Docker server host to report for Selectel and Quay registries instead of the API host: for a
   * registry served elsewhere (the simulators in tests and the demo). IONOS reports its own.
   */
  registryHost?: string | undefined;
  /**
   * Shortest IONOS token lifetime to assume (default IONOS's hour): only for a simulator started
   * with a shorter one, so that a test can rotate IONOS tokens in seconds.
   */
  ionosMinTokenLifetimeMs?: number | undefined;
  /**
   * The operator's clock (default the wall clock): idle clients are evicted by it, and the clients
   * measure token expiries on it (IONOS's minimum lifetime, Selectel's IAM token renewal).
   */
  now?: () => number;
}

/**
 * A client unused this long is dropped. A changed credentials Secret makes a new client and the
 * old one is never asked for again; without eviction every change left a client (and its IAM
 * token, limiter and redactor entries) behind for the life of the process. Longer than any poll
 * interval a registry usually has, so a client in use keeps its cached IAM token.
 */
export const PROVIDER_CLIENT_IDLE_MS = 60 * 60_000;

const need = (data: CredentialData, provider: string, keys: string[]): void => {
  const missing = keys.filter((k) => !data[k]);
  if (missing.length > 0) {
    throw new CredentialsError(`the credentials Secret for ${provider} lacks ${missing.join(', ')}`);
  }
};

/**
 * The one place that turns a ContainerRegistry's provider settings and its credentials Secret into
 * a concrete provider. Clients are cached per provider, endpoint and credentials (by hash), so a
 * changed Secret gets a fresh client on the next reconcile and an unchanged one keeps its pool,
 * rate limit and cached IAM token.
 */
export function createProviderFactory(options: ProviderFactoryOptions = {}): ProviderFactory {
  const cache = new Map<string, { provider: Provider; usedAt: number }>();
  const now = options.now ?? Date.now;
  let sweptAt = now();
  const evictIdle = (at: number) => {
    if (at - sweptAt < PROVIDER_CLIENT_IDLE_MS / 4) return;
    sweptAt = at;
    for (const [key, entry] of cache) if (at - entry.usedAt > PROVIDER_CLIENT_IDLE_MS) cache.delete(key);
  };
  const common = {
    metrics: options.metrics,
    logger: options.logger,
    ...(options.limits ? { limits: options.limits } : {}),
  };
  return (desired, data) => {
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([desired.provider, endpointOf(desired), Object.entries(data).sort()]))
      .digest('hex');
    const at = now();
    evictIdle(at);
    const cached = cache.get(fingerprint);
    if (cached) {
      cached.usedAt = at;
      return cached.provider;
    }
    const provider = build(desired, data);
    cache.set(fingerprint, { provider, usedAt: at });
    return provider;
  };

  function build(desired: DesiredRegistry, data: CredentialData): Provider {
    switch (desired.provider) {
      case 'ionos': {
        const credentials = data.token
          ? { token: data.token }
          : (need(data, 'ionos', ['username', 'password']),
            { username: data.username as string, password: data.password as string });
        return createIonosProvider({
          ...common,
          credentials,
          baseUrl: desired.settings.apiEndpoint,
          minTokenLifetimeMs: options.ionosMinTokenLifetimeMs,
          now,
        });
      }
      case 'selectel': {
        const credentials = data.token
          ? { token: data.token }
          : (need(data, 'selectel', ['username', 'password', 'accountId']),
            {
              username: data.username as string,
              password: data.password as string,
              accountId: data.accountId as string,
            });
        return createSelectelProvider({
          ...common,
          projectId: desired.settings.projectId,
          credentials,
          apiEndpoint: desired.settings.apiEndpoint,
          identityEndpoint: desired.settings.identityEndpoint,
          registryHost: options.registryHost,
          now,
        });
      }
      case 'quay':
        need(data, 'quay', ['token']);
        return createQuayProvider({
          ...common,
          token: data.token as string,
          baseUrl: desired.settings.url,
          registryHost: options.registryHost,
        });
    }
  }
}

function endpointOf(desired: DesiredRegistry): string {
  switch (desired.provider) {
    case 'ionos':
      return desired.settings.apiEndpoint ?? '';
    case 'selectel':
      return `${desired.settings.apiEndpoint ?? ''}|${desired.settings.identityEndpoint ?? ''}|${desired.settings.projectId}`;
    case 'quay':
      return desired.settings.url;
  }
}
