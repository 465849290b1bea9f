import { createHash } from 'node:crypto';
import { isNotFound } from '../http/errors.ts';
import type {
  IssuedCredential,
  IssueRequest,
  ObservedCredential,
  RenewalMode,
  TokenRegistry,
  Tokens,
} from '../provider.ts';
import { assertTokenRegistry, type SelectelContext } from './context.ts';
import { SELECTEL_DOCKER_USERNAME, scopeFor } from './tokens.ts';
import type { TokenV1Ttl } from './tokens-api.ts';

const TWELVE_HOURS_MS = 12 * 3_600_000;

interface Known {
  secret: string;
  name: string;
}

/**
 * Legacy v1 TTL tokens (`/v1/token`, deprecated in terraform). Their only identity is the secret,
 * which must never reach status, so the credential id is a hash of it and the secret is kept in
 * this process's memory. Consequences, documented in docs/providers/selectel.md: a token issued
 * before a restart (or whose create answer was lost) cannot be observed, listed, extended or
 * revoked and simply expires; tokens are project-wide and read/write whatever the scopes say; the
 * lifetime is 12 h or 1 year, the smallest that covers the request.
 */
export class SelectelTokensV1 implements Tokens {
  readonly renewalModes: readonly RenewalMode[] = ['Rotate', 'Extend'];
  readonly expires = true;
  private readonly ctx: SelectelContext;
  private readonly known = new Map<string, Known>();

  constructor(ctx: SelectelContext) {
    this.ctx = ctx;
  }

  /** Creates a token with TTL 12h or 1y (never retried). */
  async issue(request: IssueRequest): Promise<IssuedCredential> {
    assertTokenRegistry(this.ctx, request.registry);
    scopeFor(request.registry.externalId, request.scopes);
    const wanted = request.expiresAt
      ? request.expiresAt.getTime() - this.ctx.now()
      : Number.POSITIVE_INFINITY;
    const ttl: TokenV1Ttl = wanted <= TWELVE_HOURS_MS ? '12h' : '1y';
    const created = await this.ctx.api.tokens.createV1(ttl);
    const id = idOf(created.token);
    this.known.set(id, { secret: created.token, name: request.name });
    return {
      id,
      name: request.name,
      login: {
        server: request.registry.server || this.ctx.registryHost,
        username: SELECTEL_DOCKER_USERNAME,
        password: created.token,
      },
      expiresAt: new Date(created.expireAt * 1000),
    };
  }

  /** The token's expiry; undefined when revoked, unknown at CRaaS, or issued by another process. */
  async observe(registry: TokenRegistry, id: string): Promise<ObservedCredential | undefined> {
    assertTokenRegistry(this.ctx, registry);
    const known = this.known.get(id);
    if (!known) return undefined;
    try {
      const info = await this.ctx.api.tokens.getV1(known.secret);
      return this.observed(id, known, info.expireAt);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The tokens this process issued under the prefix (v1 has no listing and no names). */
  async listOwned(registry: TokenRegistry, namePrefix: string): Promise<ObservedCredential[]> {
    const out: ObservedCredential[] = [];
    for (const [id, known] of this.known) {
      if (!known.name.startsWith(namePrefix)) continue;
      const observed = await this.observe(registry, id);
      if (observed) out.push(observed);
    }
    return out;
  }

  /**
   * `refresh`: the same secret with a later expiry. v1 decides the new expiry itself (its TTL from
   * now), so `expiresAt` is only a wish; the answer says what was granted.
   */
  async extend(registry: TokenRegistry, id: string, _expiresAt: Date): Promise<ObservedCredential> {
    assertTokenRegistry(this.ctx, registry);
    const known = this.known.get(id);
    if (!known)
      throw new Error(`selectel v1 token ${id} was not issued by this process and cannot be extended`);
    const refreshed = await this.ctx.api.tokens.refreshV1(known.secret);
    return this.observed(id, known, refreshed.expireAt);
  }

  /** Revokes the token; unknown, already revoked or foreign tokens are left to expire. */
  async revoke(registry: TokenRegistry, id: string): Promise<void> {
    assertTokenRegistry(this.ctx, registry);
    const known = this.known.get(id);
    if (!known) {
      this.ctx.logger?.warn(
        { credentialId: id },
        'selectel v1 token unknown to this process; it will expire',
      );
      return;
    }
    try {
      await this.ctx.api.tokens.revokeV1(known.secret);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.known.delete(id);
  }

  private observed(id: string, known: Known, expireAt: number): ObservedCredential {
    const expiresAt = new Date(expireAt * 1000);
    return { id, name: known.name, expiresAt, enabled: expiresAt.getTime() > this.ctx.now() };
  }
}

/** A stable, non-reversible id for a v1 token. */
function idOf(secret: string): string {
  return `v1-${createHash('sha256').update(secret).digest('hex').slice(0, 32)}`;
}
