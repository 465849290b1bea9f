import { isNotFound } from '../http/errors.ts';
import type {
  IssuedCredential,
  IssueRequest,
  ObservedCredential,
  RenewalMode,
  TokenRegistry,
  TokenScope,
  Tokens,
} from '../provider.ts';
import { listingGuard, paginate } from './api.ts';
import { assertTokenRegistry, invalidRequest, parseTime, rfc3339, type SelectelContext } from './context.ts';
import type { TokenV2 } from './schemas.ts';
import type { TokenExpiration } from './tokens-api.ts';

/** Docker username of every CRaaS token (terraform `craasV1TokenUsername`, v1 and v2 alike). */
export const SELECTEL_DOCKER_USERNAME = 'token';

/**
 * The v2 token scope for berth's grants. CRaaS scopes are per registry, not per repository, so
 * only `*` can be expressed; push or delete needs read/write mode (CRaaS cannot separate them).
 */
export function scopeFor(registryId: string, scopes: TokenScope[]) {
  const narrow = scopes.find((s) => s.repository !== '*');
  if (narrow) {
    throw invalidRequest(
      'tokens.issue',
      'POST',
      '/v2/tokens',
      `repository scope ${narrow.repository} is not possible: Selectel tokens cover whole registries, use *`,
    );
  }
  const modeRW = scopes.some((s) => s.actions.includes('push') || s.actions.includes('delete'));
  return { allRegistries: false, modeRW, registryIds: [registryId] };
}

/** The expiration body for a requested expiry (none: never expires). */
export function expirationFor(expiresAt: Date | undefined): TokenExpiration {
  return expiresAt ? { isSet: true, expiresAt: rfc3339(expiresAt) } : { isSet: false };
}

/**
 * CRaaS v2 tokens: scoped to one registry, with an expiry that `refresh` moves while the secret
 * stays (Extend). Rotate issues a new token; `regenerate` (same id, new secret, old one dead at
 * once) is offered for callers that accept no overlap.
 */
export class SelectelTokens implements Tokens {
  readonly renewalModes: readonly RenewalMode[] = ['Rotate', 'Extend'];
  readonly expires = true;
  private readonly ctx: SelectelContext;

  constructor(ctx: SelectelContext) {
    this.ctx = ctx;
  }

  /** Creates a token (never retried); its secret is registered for redaction at once. */
  async issue(request: IssueRequest): Promise<IssuedCredential> {
    assertTokenRegistry(this.ctx, request.registry);
    const created = await this.ctx.api.tokens.create({
      name: request.name,
      scope: scopeFor(request.registry.externalId, request.scopes),
      expiration: expirationFor(request.expiresAt),
    });
    return this.issued(request.registry, created, created.token);
  }

  /** The token, or undefined when deleted. Revoked, expired or out-of-scope tokens are disabled. */
  async observe(registry: TokenRegistry, id: string): Promise<ObservedCredential | undefined> {
    assertTokenRegistry(this.ctx, registry);
    try {
      const token = await this.ctx.api.tokens.get(id);
      return token.status === 'deleted' ? undefined : this.observed(registry, token);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Tokens whose name starts with the prefix (the name search narrows, the prefix test decides). */
  async listOwned(registry: TokenRegistry, namePrefix: string): Promise<ObservedCredential[]> {
    assertTokenRegistry(this.ctx, registry);
    const out: ObservedCredential[] = [];
    const pages = paginate(
      this.ctx.pageSize,
      async (offset, limit) => {
        const page = await this.ctx.api.tokens.list({ limit, offset, search: namePrefix });
        return { items: page.tokens, total: page.totalCount };
      },
      listingGuard('tokens.list', '/v2/tokens', (t: TokenV2) => t.id),
    );
    for await (const token of pages) {
      if (token.status !== 'deleted' && (token.name ?? '').startsWith(namePrefix))
        out.push(this.observed(registry, token));
    }
    return out;
  }

  /** Moves the expiry with `refresh`; the secret and so the Secret stay the same. */
  async extend(registry: TokenRegistry, id: string, expiresAt: Date): Promise<ObservedCredential> {
    assertTokenRegistry(this.ctx, registry);
    return this.observed(registry, await this.ctx.api.tokens.refresh(id, expirationFor(expiresAt)));
  }

  /** Deletes the token (what terraform does on destroy); an absent one is fine. */
  async revoke(registry: TokenRegistry, id: string): Promise<void> {
    assertTokenRegistry(this.ctx, registry);
    try {
      await this.ctx.api.tokens.delete(id);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Not part of `Tokens`: a new secret under the same id; the old secret stops working at once,
   * so pulls fail until the Secret is updated. Never retried.
   */
  async regenerate(registry: TokenRegistry, id: string, expiresAt?: Date): Promise<IssuedCredential> {
    assertTokenRegistry(this.ctx, registry);
    const token = await this.ctx.api.tokens.regenerate(id, expirationFor(expiresAt));
    return this.issued(registry, token, token.token);
  }

  private issued(registry: TokenRegistry, token: TokenV2, secret: string): IssuedCredential {
    return {
      id: token.id,
      name: token.name ?? '',
      login: {
        server: registry.server || this.ctx.registryHost,
        username: SELECTEL_DOCKER_USERNAME,
        password: secret,
      },
      expiresAt: token.expiration.isSet ? parseTime(token.expiration.expiresAt) : undefined,
    };
  }

  private observed(registry: TokenRegistry, token: TokenV2): ObservedCredential {
    const expiresAt = token.expiration.isSet ? parseTime(token.expiration.expiresAt) : undefined;
    const covers = token.scope.allRegistries || token.scope.registryIds.includes(registry.externalId);
    // terraform #351: a revoked or expired token must count as gone, whatever else it says.
    const live = token.status === 'active' && (!expiresAt || expiresAt.getTime() > this.ctx.now());
    return { id: token.id, name: token.name ?? '', expiresAt, enabled: live && covers };
  }
}
