/**
 * Tokens of the simulated IONOS API: the password appears only in the response that created the
 * token (POST, or a PUT that creates); names are unique per registry (409) and immutable; expired
 * tokens are deleted (404).
 */
import { SimError, type SimRequest, type SimServer } from '../core/server.ts';
import {
  checkExpiry,
  checkScopes,
  checkStatus,
  checkUuid,
  intParam,
  objectBody,
  TOKEN_NAME,
} from './checks.ts';
import { fail, HREF_BASE, renderToken } from './render.ts';
import { type IonosSimContext, registryOf } from './routes-registries.ts';
import type { SimRegistry, SimToken } from './state.ts';

/** Registers the token routes. */
export function tokenRoutes(server: SimServer, ctx: IonosSimContext): void {
  const { world } = ctx;

  const tokenOf = (registry: SimRegistry, id: string | undefined): SimToken => {
    const token = registry.tokens.get(checkUuid(id, 'tokenId'));
    if (!token) throw fail(404, `token ${id} not found`);
    return token;
  };

  const create = (req: SimRequest, registry: SimRegistry, id: string | undefined) => {
    const props = objectBody(objectBody(req.body).properties);
    const name = props.name;
    if (typeof name !== 'string' || !TOKEN_NAME.test(name))
      throw fail(400, 'name must be 2-63 letters, digits and -, starting with a letter');
    if ([...registry.tokens.values()].some((t) => t.name === name))
      throw fail(409, `a token named ${name} already exists in this registry`);
    const expiry = checkExpiry(props.expiryDate, world.now(), ctx.minTokenLifetimeMs);
    const token = world.addToken(registry, {
      ...(id ? { id } : {}),
      name,
      expiresAt: expiry ?? undefined,
      status: checkStatus(props.status) ?? 'enabled',
      scopes: checkScopes(props.scopes) ?? [],
      createdBy: ctx.principal(req),
    });
    const body = renderToken(registry, token, true);
    return { status: 201, body, headers: { location: body.href } };
  };

  server.route('GET', '/registries/:registryId/tokens', (req) => {
    const registry = registryOf(ctx, req.params.registryId);
    const offset = intParam(req.query.get('offset'), 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(req.query.get('limit'), 'limit', 100, 1, 1000);
    // Creation order (Map insertion order), stable across pages.
    const all = [...registry.tokens.values()];
    const items = all.slice(offset, offset + limit);
    const base = `${HREF_BASE}/registries/${registry.id}/tokens`;
    const more = offset + items.length < all.length;
    return {
      status: 200,
      body: {
        _links: {
          next: more ? `${base}?offset=${offset + limit}&limit=${limit}` : '',
          previous: offset > 0 ? `${base}?offset=${Math.max(0, offset - limit)}&limit=${limit}` : '',
          self: `${base}?offset=${offset}&limit=${limit}`,
        },
        count: items.length,
        href: base,
        id: `${registry.id}/tokens`,
        items: items.map((t) => renderToken(registry, t, false)),
        limit,
        offset,
        total: all.length,
        type: 'collection',
      },
    };
  });

  server.route(
    'POST',
    '/registries/:registryId/tokens',
    (req) => create(req, registryOf(ctx, req.params.registryId), undefined),
    { creates: true },
  );

  server.route('GET', '/registries/:registryId/tokens/:tokenId', (req) => {
    const registry = registryOf(ctx, req.params.registryId);
    return { status: 200, body: renderToken(registry, tokenOf(registry, req.params.tokenId), false) };
  });

  // Create-or-replace: the password only when this call creates; the name never changes.
  server.route(
    'PUT',
    '/registries/:registryId/tokens/:tokenId',
    (req) => {
      const registry = registryOf(ctx, req.params.registryId);
      const id = checkUuid(req.params.tokenId, 'tokenId');
      const existing = registry.tokens.get(id);
      if (!existing) return create(req, registry, id);
      const props = objectBody(objectBody(req.body).properties);
      if (props.name !== existing.name) throw fail(400, 'name cannot be changed');
      existing.expiresAt = checkExpiry(props.expiryDate, world.now(), ctx.minTokenLifetimeMs) ?? undefined;
      existing.scopes = checkScopes(props.scopes) ?? [];
      existing.status = checkStatus(props.status) ?? 'enabled';
      existing.modifiedAt = world.now();
      existing.modifiedBy = ctx.principal(req);
      const body = renderToken(registry, existing, false);
      return { status: 201, body, headers: { location: body.href } };
    },
    { creates: true },
  );

  // Flat body; omitted fields stay, `expiryDate: null` removes the expiry, scopes replace the list.
  server.route('PATCH', '/registries/:registryId/tokens/:tokenId', (req) => {
    const registry = registryOf(ctx, req.params.registryId);
    const token = tokenOf(registry, req.params.tokenId);
    const body = objectBody(req.body);
    const expiry = checkExpiry(body.expiryDate, world.now(), ctx.minTokenLifetimeMs);
    const scopes = checkScopes(body.scopes);
    const status = checkStatus(body.status);
    if (expiry !== undefined) token.expiresAt = expiry ?? undefined;
    if (scopes) token.scopes = scopes;
    if (status) token.status = status;
    token.modifiedAt = world.now();
    token.modifiedBy = ctx.principal(req);
    return { status: 200, body: renderToken(registry, token, false) };
  });

  server.route('DELETE', '/registries/:registryId/tokens/:tokenId', (req) => {
    const registry = registryOf(ctx, req.params.registryId);
    const id = checkUuid(req.params.tokenId, 'tokenId');
    // The docs' delete example shows this bare body for a missing token, not ApiErrorResponse.
    if (!registry.tokens.delete(id)) throw new SimError(404, { msg: 'Not Found' });
    return { status: 204 };
  });
}
