/**
 * JSON shapes of the simulated IONOS API, following the seed examples and the 1.0 spec (plus the
 * 1.1-1.2 fields of the notes). Kept apart from the routes so the shape tests can see one place.
 */
import { SimError } from '../core/server.ts';
import type { IonosWorld, SimArtifact, SimAudit, SimRegistry, SimRepository, SimToken } from './state.ts';

/** The href prefix every resource carries (the production base URL, as the real API reports it). */
export const HREF_BASE = 'https://api.ionos.com/containerregistries';

/**
 * Error codes, modelled on IONOS PaaS APIs (`paas-<area>-<n>`); the CR docs show no real codes.
 */
export const ERROR_CODES: Record<number, string> = {
  400: 'paas-validation-1',
  401: 'paas-auth-1',
  403: 'paas-auth-2',
  404: 'paas-resource-1',
  409: 'paas-resource-2',
  429: 'paas-rate-1',
  500: 'paas-internal-1',
  503: 'paas-internal-2',
};

/** `ApiErrorResponse`: `{httpStatus, messages:[{errorCode, message}]}`. */
export function errorBody(status: number, ...messages: string[]): unknown {
  const code = ERROR_CODES[status] ?? `paas-http-${status}`;
  return { httpStatus: status, messages: messages.map((message) => ({ errorCode: code, message })) };
}

/** A handler's error answer with the IONOS body. */
export function fail(status: number, message: string): SimError {
  return new SimError(status, errorBody(status, message));
}

/** Seconds-precision RFC 3339 (`2025-07-17T03:15:29Z`): not the form clients send, like the real API. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function metadata(audit: SimAudit, state: string) {
  return {
    createdBy: audit.createdBy.name,
    createdByUserId: audit.createdBy.userId,
    createdDate: iso(audit.createdAt),
    lastModifiedBy: audit.modifiedBy.name,
    lastModifiedByUserId: audit.modifiedBy.userId,
    lastModifiedDate: iso(audit.modifiedAt),
    state,
  };
}

/** The docker host of a registry: the `registryHost` option, else `<name>.cr.<cc>-<city>.ionos.com`. */
export function hostOf(registry: SimRegistry, registryHost: string | undefined): string {
  return registryHost ?? `${registry.name}.cr.${registry.location.replace('/', '-')}.ionos.com`;
}

/** `RegistryResponse`. */
export function renderRegistry(world: IonosWorld, registry: SimRegistry, registryHost: string | undefined) {
  return {
    href: `${HREF_BASE}/registries/${registry.id}`,
    id: registry.id,
    metadata: metadata(registry, world.stateOf(registry)),
    properties: {
      ...(registry.gc
        ? { garbageCollectionSchedule: { days: [...registry.gc.days], time: registry.gc.time } }
        : {}),
      hostname: world.provisioned(registry) ? hostOf(registry, registryHost) : '',
      location: registry.location,
      name: registry.name,
      storageUsage: { bytes: registry.storageBytes, updatedAt: iso(registry.modifiedAt) },
      features: { vulnerabilityScanning: { enabled: registry.scanning, properties: {} } },
      apiSubnetAllowList: [...registry.allowList],
    },
    type: 'registry',
  };
}

/** `TokenResponse`; the password only when `withPassword` (the create response). */
export function renderToken(registry: SimRegistry, token: SimToken, withPassword: boolean) {
  return {
    href: `${HREF_BASE}/registries/${registry.id}/tokens/${token.id}`,
    id: token.id,
    // Token metadata.state mirrors the status (docs example: "enabled").
    metadata: metadata(token, token.status),
    properties: {
      credentials: { username: token.name, password: withPassword ? token.password : '' },
      expiryDate: token.expiresAt === undefined ? null : iso(token.expiresAt),
      name: token.name,
      scopes: token.scopes.map((s) => ({ name: s.name, type: s.type, actions: [...s.actions] })),
      status: token.status,
    },
    type: 'token',
  };
}

function lastOf(values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length > 0 ? Math.max(...defined) : undefined;
}

/** `RepositoryRead` (1.1+). */
export function renderRepository(registry: SimRegistry, repository: SimRepository) {
  const artifacts = [...repository.artifacts.values()];
  const pushed = lastOf(artifacts.map((a) => a.pushedAt));
  const pulled = lastOf(artifacts.map((a) => a.pulledAt));
  return {
    href: `${HREF_BASE}/registries/${registry.id}/repositories/${encodeURIComponent(repository.name)}`,
    id: repository.name,
    metadata: {
      createdBy: registry.createdBy.name,
      createdByUserId: registry.createdBy.userId,
      createdDate: iso(repository.createdAt),
      resourceURN: `ionos:containerregistry:${registry.location}:${registry.id}:repository/${repository.name}`,
      artifactCount: artifacts.length,
      pullCount: artifacts.reduce((n, a) => n + a.pullCount, 0),
      pushCount: artifacts.reduce((n, a) => n + a.pushCount, 0),
      ...(pulled === undefined ? {} : { lastPulledAt: iso(pulled) }),
      ...(pushed === undefined ? {} : { lastPushedAt: iso(pushed) }),
    },
    properties: { name: repository.name },
    type: 'repository',
  };
}

/** `ArtifactRead` (1.1+). */
export function renderArtifact(registry: SimRegistry, repository: SimRepository, artifact: SimArtifact) {
  const repo = encodeURIComponent(repository.name);
  return {
    href: `${HREF_BASE}/registries/${registry.id}/repositories/${repo}/artifacts/${artifact.digest}`,
    id: artifact.digest,
    metadata: {
      lastPushedAt: iso(artifact.pushedAt),
      ...(artifact.pulledAt === undefined ? {} : { lastPulledAt: iso(artifact.pulledAt) }),
      pushCount: artifact.pushCount,
      pullCount: artifact.pullCount,
    },
    properties: {
      repositoryName: repository.name,
      digest: artifact.digest,
      tags: [...artifact.tags],
      mediaType: artifact.mediaType,
    },
    type: 'artifact',
  };
}
