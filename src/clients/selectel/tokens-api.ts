/**
 * CRaaS token endpoints: v2 scoped tokens (`/v2/tokens`, the secret shown only by create and
 * regenerate) and the legacy v1 TTL tokens (`/v1/token`, whose identity is the secret itself).
 */
import type { z } from 'zod';
import { encodePath } from '../http/client.ts';
import type { CraasTransport, PageQuery } from './api.ts';
import {
  type TokenExpirationSchema,
  TokenListV2Schema,
  type TokenScopeSchema,
  TokenV1InfoSchema,
  TokenV1RefreshSchema,
  TokenV1Schema,
  TokenV2Schema,
  TokenV2WithSecretSchema,
} from './schemas.ts';

/** The two TTLs v1 tokens allow. */
export type TokenV1Ttl = '12h' | '1y';

/** When a v2 token expires (`isSet: false`: never), as sent. */
export type TokenExpiration = z.input<typeof TokenExpirationSchema>;

/** A v2 token's reach, as sent. */
export type TokenScope = z.input<typeof TokenScopeSchema>;

/** Body of `POST /v2/tokens`. */
export interface CreateTokenBody {
  name?: string | undefined;
  scope: TokenScope;
  expiration: TokenExpiration;
}

/**
 * The body of refresh and regenerate, readable both ways Selectel's own sources disagree on: the
 * reference wraps the expiry (`{"expiration":{...}}`), craas-go's `tokenv2.Refresh`/`Regenerate`
 * marshal the bare `Expiration` (`{"isSet":..,"expiresAt":..}`). Go's encoding/json ignores
 * unknown fields, so a server decoding either shape reads the same expiry from this body; sending
 * only one shape risks a lenient bare decoder reading a missing `isSet` as false (never expires).
 */
export function expirationBody(expiration: TokenExpiration) {
  return { expiration, ...expiration };
}

/** Sort and filter of `GET /v2/tokens`. */
export interface TokenListQuery extends PageQuery {
  sort_field?: 'name' | 'createdAt' | 'lastUsedAt' | 'expiresAt' | undefined;
  sort_type?: 'asc' | 'desc' | undefined;
  scope_mode?: 'ro' | 'rw' | undefined;
}

/** v1 and v2 token endpoints. */
export class CraasTokensApi {
  private readonly transport: CraasTransport;

  constructor(transport: CraasTransport) {
    this.transport = transport;
  }

  /** `GET /v2/tokens`: a page and the total. */
  async list(query: TokenListQuery = {}, signal?: AbortSignal) {
    const res = await this.transport.send({
      operation: 'tokens.list',
      method: 'GET',
      path: '/v2/tokens',
      query: { ...query },
      schema: TokenListV2Schema,
      ...(signal ? { signal } : {}),
    });
    return res.data;
  }

  /** `GET /v2/tokens/{id}` (never with the secret); NotFoundError when absent. */
  async get(id: string, signal?: AbortSignal) {
    const res = await this.transport.send({
      operation: 'tokens.get',
      method: 'GET',
      path: encodePath`/v2/tokens/${id}`,
      schema: TokenV2Schema,
      ...(signal ? { signal } : {}),
    });
    return res.data;
  }

  /** `POST /v2/tokens`: answers with the secret, once. Never retried (it would mint a second secret). */
  async create(body: CreateTokenBody, signal?: AbortSignal) {
    const res = await this.transport.send({
      operation: 'tokens.create',
      method: 'POST',
      path: '/v2/tokens',
      body,
      schema: TokenV2WithSecretSchema,
      idempotent: false,
      ...(signal ? { signal } : {}),
    });
    this.transport.http.secrets.add(res.data.token);
    return res.data;
  }

  /** `PATCH /v2/tokens/{id}`: name, scope or expiration; the secret stays. Sets values, so retried. */
  async update(id: string, patch: Partial<CreateTokenBody>, signal?: AbortSignal) {
    const res = await this.transport.send({
      operation: 'tokens.update',
      method: 'PATCH',
      path: encodePath`/v2/tokens/${id}`,
      body: patch,
      schema: TokenV2Schema,
      idempotent: true,
      ...(signal ? { signal } : {}),
    });
    return res.data;
  }

  /** `POST /v2/tokens/{id}/refresh`: moves the expiry, same secret. Sets a value, so retried. */
  async refresh(id: string, expiration: TokenExpiration, signal?: AbortSignal) {
    const res = await this.transport.send({
      operation: 'tokens.refresh',
      method: 'POST',
      path: encodePath`/v2/tokens/${id}/refresh`,
      body: expirationBody(expiration),
      schema: TokenV2Schema,
      idempotent: true,
      ...(signal ? { signal } : {}),
    });
    return res.data;
  }

  /**
   * `POST /v2/tokens/{id}/regenerate`: same id and properties, a new secret; the old one dies at
   * once. Never retried: a second call would kill the secret the first one returned.
   */
  async regenerate(id: string, expiration: TokenExpiration, signal?: AbortSignal) {
    const res = await this.transport.send({
      operation: 'tokens.regenerate',
      method: 'POST',
      path: encodePath`/v2/tokens/${id}/regenerate`,
      body: expirationBody(expiration),
      schema: TokenV2WithSecretSchema,
      idempotent: false,
      ...(signal ? { signal } : {}),
    });
    this.transport.http.secrets.add(res.data.token);
    return res.data;
  }

  /** `POST /v2/tokens/{id}/revoke`: the token stays listed with status `revoked`. */
  async revoke(id: string, signal?: AbortSignal): Promise<void> {
    await this.transport.send({
      operation: 'tokens.revoke',
      method: 'POST',
      path: encodePath`/v2/tokens/${id}/revoke`,
      idempotent: true,
      ...(signal ? { signal } : {}),
    });
  }

  /** `DELETE /v2/tokens/{id}`: what terraform calls on destroy; the token is gone afterwards. */
  async delete(id: string, signal?: AbortSignal): Promise<void> {
    await this.transport.send({
      operation: 'tokens.delete',
      method: 'DELETE',
      path: encodePath`/v2/tokens/${id}`,
      ...(signal ? { signal } : {}),
    });
  }

  /** `POST /v1/token?ttl=12h|1y`: a project-wide token. Never retried. */
  async createV1(ttl: TokenV1Ttl, signal?: AbortSignal) {
    const res = await this.transport.send({
      operation: 'tokensV1.create',
      method: 'POST',
      path: '/v1/token',
      query: { ttl },
      schema: TokenV1Schema,
      idempotent: false,
      ...(signal ? { signal } : {}),
    });
    this.transport.http.secrets.add(res.data.token);
    return res.data;
  }

  /** `GET /v1/token/{token}`: its expiry; NotFoundError when unknown or revoked. */
  async getV1(token: string, signal?: AbortSignal) {
    const res = await this.transport.send({
      operation: 'tokensV1.get',
      method: 'GET',
      path: encodePath`/v1/token/${token}`,
      schema: TokenV1InfoSchema,
      ...(signal ? { signal } : {}),
    });
    return res.data;
  }

  /** `POST /v1/token/{token}/refresh`: a later expiry, same token (refilled from the path if absent). */
  async refreshV1(token: string, signal?: AbortSignal) {
    const res = await this.transport.send({
      operation: 'tokensV1.refresh',
      method: 'POST',
      path: encodePath`/v1/token/${token}/refresh`,
      schema: TokenV1RefreshSchema,
      idempotent: true,
      ...(signal ? { signal } : {}),
    });
    // craas-go's token.Refresh sets Token from the path whatever the answer says: refresh keeps it.
    return { ...res.data, token: res.data.token || token };
  }

  /** `DELETE /v1/token/{token}`: revokes it. */
  async revokeV1(token: string, signal?: AbortSignal): Promise<void> {
    await this.transport.send({
      operation: 'tokensV1.revoke',
      method: 'DELETE',
      path: encodePath`/v1/token/${token}`,
      ...(signal ? { signal } : {}),
    });
  }
}
