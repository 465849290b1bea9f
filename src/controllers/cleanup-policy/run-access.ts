import type { DockerLogin, Provider, ScopeAction, TokenRegistry } from '../../clients/provider.ts';
import { providerCall } from '../shared/provider-errors.ts';
import type { ManifestFacts } from './graph.ts';

/**
 * One registry's OCI distribution API with a run's credential: reading manifests (what an index
 * lists, what a referrer refers to) and, where the provider has no delete endpoint (IONOS),
 * deleting them.
 */
export interface ManifestDeleter {
  /** `deleted` on 2xx, `gone` on 404: the report tells them apart (AlreadyGone). */
  deleteManifest(repository: string, digest: string): Promise<'deleted' | 'gone'>;
  /** Whether the manifest is there (HEAD by digest), to read back what the run deleted. */
  exists(repository: string, digest: string): Promise<boolean>;
  /** The manifest's media type, the children of an index, the subject of a referrer; `gone` on 404. */
  facts(repository: string, digest: string): Promise<ManifestFacts | 'gone'>;
}

/** How to reach a registry: plain http where the ContainerRegistry allows it (see {@link plainHttpAllowed}). */
export interface RegistryReach {
  plainHttp: boolean;
}

/** Builds a {@link ManifestDeleter} for a provider's registry host and a login. */
export type ManifestDeleterFactory = (
  provider: Provider['name'],
  server: string,
  login: DockerLogin,
  reach?: RegistryReach,
) => ManifestDeleter;

/**
 * Whether the registry may be reached over plain http: the provider block says `insecure: true`
 * (IONOS, Selectel: a simulator or proxy on a private network, as for their API endpoints), or
 * Quay's API URL itself is plain http (the registry is the same host). Loopback hosts always are.
 */
export function plainHttpAllowed(registry: TokenRegistry): boolean {
  const desired = registry.desired;
  if (desired.provider === 'quay') return desired.settings.url?.startsWith('http:') ?? false;
  return (desired.settings as { insecure?: boolean | undefined }).insecure === true;
}

/**
 * Lifetime asked for the run's credential, counted from the moment it is issued: an hour (IONOS
 * refuses less: "expiry must be ≥1 h in the future") plus five minutes for the request and clock
 * skew. It is revoked after the run anyway; the expiry only bounds a crashed run's leftover.
 */
export const RUN_CREDENTIAL_LIFETIME_MS = 3_600_000 + 5 * 60_000;

/** What opening a run's registry access needs. */
export interface RunAccessContext {
  provider: Provider;
  registry: TokenRegistry;
  credentialsSecret: string;
  oci: ManifestDeleterFactory;
  /** Deterministic name of the temporary credential of this run (revoked afterwards, swept after a crash). */
  cleanupCredentialName: string;
  /** Prefix of every temporary cleanup credential of this policy, for the sweep. */
  cleanupCredentialPrefix: string;
  /**
   * The reconciler's clock, read when the credential is issued to compute its expiry: the provider
   * measures it on its own clock, long after the run started if listing the artifacts took a while.
   */
  clock: () => number;
}

/** A run's OCI access and the credential behind it, to revoke when the run ends. */
export interface RunAccess {
  registry: ManifestDeleter;
  /** Whether the credential may delete (asked for `delete`), not only read. */
  deletes: boolean;
  /** Revokes the credential; the run calls it in `finally`. */
  close(): Promise<void>;
}

/**
 * Issues the run's temporary credential (after revoking what a crashed run left under the
 * policy's prefix) scoped to `repositories` with `actions`, and opens the OCI API with it.
 * Every provider gets one when the run must read manifests; IONOS also deletes with it.
 */
export async function openRunAccess(
  ctx: RunAccessContext,
  repositories: readonly string[],
  actions: ScopeAction[],
): Promise<RunAccess> {
  const { provider, registry } = ctx;
  const call = <T>(fn: () => Promise<T>) => providerCall(ctx.credentialsSecret, fn);
  const leftovers = await call(() => provider.tokens.listOwned(registry, ctx.cleanupCredentialPrefix));
  for (const old of leftovers) await call(() => provider.tokens.revoke(registry, old.id));
  // Selectel tokens cover whole registries (read-only unless asked for more); the others take repositories.
  const scopes =
    provider.name === 'selectel'
      ? [{ repository: '*', actions }]
      : repositories.map((repository) => ({ repository, actions }));
  const issued = await call(() =>
    provider.tokens.issue({
      registry,
      name: ctx.cleanupCredentialName,
      scopes,
      expiresAt: new Date(ctx.clock() + RUN_CREDENTIAL_LIFETIME_MS),
    }),
  );
  const oci = ctx.oci(provider.name, registry.server, issued.login, {
    plainHttp: plainHttpAllowed(registry),
  });
  const path = (repository: string) => ociPath(provider.name, registry, repository);
  return {
    registry: {
      deleteManifest: (repository, digest) => oci.deleteManifest(path(repository), digest),
      exists: (repository, digest) => oci.exists(path(repository), digest),
      facts: (repository, digest) => oci.facts(path(repository), digest),
    },
    deletes: actions.includes('delete'),
    close: () => call(() => provider.tokens.revoke(registry, issued.id)),
  };
}

/**
 * Where a repository the provider's API names lives on its registry host: IONOS gives every
 * registry its own host, a Quay organization and a Selectel registry are the first path segment
 * (`quay.io/<org>/<repo>`, `cr.selcloud.ru/<registry>/<image>`).
 */
export function ociPath(provider: Provider['name'], registry: TokenRegistry, repository: string): string {
  return provider === 'ionos' ? repository : `${registry.name}/${repository}`;
}
