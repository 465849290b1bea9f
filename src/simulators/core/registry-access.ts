import type { ScopeAction } from '../../clients/provider.ts';

/**
 * What a provider simulator tells the Docker registry token service (`../token-service.ts`) about
 * a docker login: which actions the credential allows on a repository. A simulator implements it
 * from its own state, so a credential revoked or expired there is refused by the real registry.
 */
export interface RegistryAccessVerifier {
  /**
   * Resolves the credential; undefined when it is unknown, wrong, disabled, expired or revoked.
   * The returned function lists the actions allowed on one repository (empty: none).
   */
  verify(username: string, password: string): ((repository: string) => ScopeAction[]) | undefined;
}

/** Whether a repository matches a scope pattern: exact, `*` for all, or `prefix/*`. */
export function repositoryMatches(pattern: string, repository: string): boolean {
  if (pattern === '*' || pattern === repository) return true;
  if (pattern.endsWith('/*')) return repository.startsWith(pattern.slice(0, -1));
  return false;
}
