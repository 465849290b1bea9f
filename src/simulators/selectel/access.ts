import type { ScopeAction } from '../../clients/provider.ts';
import type { RegistryAccessVerifier } from '../core/registry-access.ts';
import type { SimRegistry, SimState } from './state.ts';

const READ: ScopeAction[] = ['pull'];
const READ_WRITE: ScopeAction[] = ['pull', 'push', 'delete'];

/**
 * Docker logins against the simulated credential state: username `token`, password a v2 or v1
 * token secret. Repositories are `<registry-name>/<image>` (images are
 * `cr.selcloud.ru/<registry>/<image>`). A v2 token opens the registries of its scope, read-only
 * unless `modeRW`; a v1 token opens every registry of its project read/write. Revoked, expired,
 * regenerated-away and deleted secrets are refused. A successful login sets the v2 `lastUsedAt`.
 */
export class SelectelRegistryAccess implements RegistryAccessVerifier {
  private readonly state: SimState;

  constructor(state: SimState) {
    this.state = state;
  }

  /** The allowed actions per repository for this login, or undefined when refused. */
  verify(username: string, password: string): ((repository: string) => ScopeAction[]) | undefined {
    if (username !== 'token' || password === '') return undefined;
    this.state.settle();
    const now = this.state.now();
    for (const token of this.state.tokensV2.values()) {
      if (token.secret !== password) continue;
      if (this.state.tokenStatus(token) !== 'active') return undefined;
      token.lastUsedAt = now;
      return (repository) => {
        const registry = this.registryOf(token.projectId, repository);
        if (!registry) return [];
        if (!token.scope.allRegistries && !token.scope.registryIds.includes(registry.id)) return [];
        return [...(token.scope.modeRW ? READ_WRITE : READ)];
      };
    }
    const v1 = this.state.tokensV1.get(password);
    if (!v1 || v1.revoked || v1.expiresAt <= now) return undefined;
    return (repository) => (this.registryOf(v1.projectId, repository) ? [...READ_WRITE] : []);
  }

  private registryOf(projectId: string, repository: string): SimRegistry | undefined {
    const name = repository.split('/')[0];
    for (const registry of this.state.registries.values()) {
      if (registry.projectId !== projectId || registry.name !== name) continue;
      return registry.status === 'ACTIVE' || registry.status === 'GARBAGE_COLLECTION' ? registry : undefined;
    }
    return undefined;
  }
}
