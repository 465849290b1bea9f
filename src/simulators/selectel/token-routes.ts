/**
 * CRaaS token routes: v2 scoped tokens (secret in the create and regenerate answers only) and v1
 * TTL tokens (`12h`|`1y`, identified by the secret, refresh keeps it).
 */
import { randomUUID } from 'node:crypto';
import type { SimRequest, SimServer } from '../core/server.ts';
import { craasError, iso, objectBody, pageOf, searched, slice, sorted } from './http-util.ts';
import type { ProjectOf } from './registry-routes.ts';
import { newSecret, type SimState, type SimTokenV2 } from './state.ts';

const V1_TOKEN_FORMS =
  /^(CRgAAAAA[A-Za-z0-9_-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const V1_TTLS: Record<string, number> = { '12h': 12 * 3_600_000, '1y': 365 * 24 * 3_600_000 };

/**
 * The seed's Token object (never the secret). `lastUsedAt` only once the token was used. Its clock
 * times carry microseconds like the registries' (a hedge: craas-go's token fixtures are the
 * reference's whole-second samples).
 */
export function tokenJson(state: SimState, token: SimTokenV2) {
  return {
    createdAt: iso(token.createdAt),
    expiration: {
      expiresAt:
        token.expiration.isSet && token.expiration.expiresAt !== undefined
          ? // The expiry is the client's own value: echoed to the millisecond, without filler.
            iso(token.expiration.expiresAt, 3)
          : '0001-01-01T00:00:00Z',
      isSet: token.expiration.isSet,
    },
    id: token.id,
    ...(token.lastUsedAt !== undefined ? { lastUsedAt: iso(token.lastUsedAt) } : {}),
    name: token.name,
    scope: { ...token.scope, registryIds: [...token.scope.registryIds] },
    status: state.tokenStatus(token),
  };
}

/** Registers `/v2/tokens` and `/v1/token` routes. */
export function registerTokenRoutes(server: SimServer, state: SimState, projectOf: ProjectOf): void {
  const tokenV2 = (req: SimRequest): SimTokenV2 => {
    const token = state.tokensV2.get(req.params.id ?? '');
    if (!token || token.projectId !== projectOf(req)) throw craasError(404, 'Token not found.');
    return token;
  };
  const expiration = (value: unknown): SimTokenV2['expiration'] => {
    const e = value as { isSet?: unknown; expiresAt?: unknown } | undefined;
    if (typeof e !== 'object' || e === null || typeof e.isSet !== 'boolean')
      throw craasError(400, 'Invalid expiration.');
    if (!e.isSet) return { isSet: false };
    const at = typeof e.expiresAt === 'string' ? Date.parse(e.expiresAt) : Number.NaN;
    if (Number.isNaN(at) || at <= state.now())
      throw craasError(400, 'Expiration date must be in the future.');
    return { isSet: true, expiresAt: at };
  };
  // Refresh and regenerate: the reference wraps the expiry, craas-go sends it bare (see
  // SimExpirationReading). Reading both, a body whose two shapes disagree is refused rather than
  // guessed at: a real server would silently pick one.
  const refreshedExpiration = (body: Record<string, unknown>): SimTokenV2['expiration'] => {
    const hasBare = 'isSet' in body || 'expiresAt' in body;
    // Go's encoding/json leaves a missing bool false: the bare reading never refuses a body.
    const bare = () => expiration({ ...body, isSet: body.isSet ?? false });
    const reading = state.expirationReading;
    if (reading === 'bare') return bare();
    if (reading === 'wrapped' || !hasBare) return expiration(body.expiration);
    if (body.expiration === undefined) return bare();
    const [a, b] = [expiration(body.expiration), bare()];
    if (a.isSet !== b.isSet || a.expiresAt !== b.expiresAt) throw craasError(400, 'Invalid expiration.');
    return a;
  };
  const scope = (req: SimRequest, value: unknown): SimTokenV2['scope'] => {
    const s = value as { allRegistries?: unknown; modeRW?: unknown; registryIds?: unknown } | undefined;
    if (
      typeof s !== 'object' ||
      s === null ||
      typeof s.allRegistries !== 'boolean' ||
      typeof s.modeRW !== 'boolean'
    )
      throw craasError(400, 'Invalid scope.');
    const ids = s.registryIds ?? [];
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))
      throw craasError(400, 'Invalid scope.');
    if (!s.allRegistries && ids.length === 0) throw craasError(400, 'Scope must name at least one registry.');
    for (const id of ids as string[])
      if (!state.registryIn(projectOf(req), id)) throw craasError(400, `Registry ${id} not found.`);
    return { allRegistries: s.allRegistries, modeRW: s.modeRW, registryIds: [...(ids as string[])] };
  };
  const name = (value: unknown): string => {
    if (value === undefined) return '';
    if (typeof value !== 'string' || value.length > 255) throw craasError(400, 'Invalid token name.');
    return value;
  };

  server
    .route('GET', '/api/v2/tokens', (req) => {
      const mode = req.query.get('scope_mode');
      if (mode !== null && mode !== 'ro' && mode !== 'rw') throw craasError(400, 'Invalid scope_mode.');
      const mine = [...state.tokensV2.values()].filter(
        (t) => t.projectId === projectOf(req) && (mode === null || t.scope.modeRW === (mode === 'rw')),
      );
      const all = sorted(
        req,
        searched(req, mine),
        {
          name: (t) => t.name,
          createdAt: (t) => t.createdAt,
          lastUsedAt: (t) => t.lastUsedAt ?? 0,
          expiresAt: (t) => t.expiration.expiresAt ?? Number.MAX_SAFE_INTEGER,
        },
        'createdAt',
      );
      return {
        status: 200,
        body: { tokens: slice(all, pageOf(req)).map((t) => tokenJson(state, t)), totalCount: all.length },
      };
    })
    .route(
      'POST',
      '/api/v2/tokens',
      (req) => {
        const body = objectBody(req);
        const token: SimTokenV2 = {
          id: randomUUID(),
          projectId: projectOf(req),
          name: name(body.name),
          createdAt: state.now(),
          expiration: expiration(body.expiration),
          scope: scope(req, body.scope),
          status: 'active',
          secret: newSecret(),
        };
        state.tokensV2.set(token.id, token);
        return { status: 201, body: { ...tokenJson(state, token), token: token.secret } };
      },
      { creates: true },
    )
    .route('GET', '/api/v2/tokens/:id', (req) => ({ status: 200, body: tokenJson(state, tokenV2(req)) }))
    .route('PATCH', '/api/v2/tokens/:id', (req) => {
      const token = tokenV2(req);
      const body = objectBody(req);
      // Validate everything before changing anything.
      const next = {
        name: body.name === undefined ? token.name : name(body.name),
        scope: body.scope === undefined ? token.scope : scope(req, body.scope),
        expiration: body.expiration === undefined ? token.expiration : expiration(body.expiration),
      };
      Object.assign(token, next);
      return { status: 200, body: tokenJson(state, token) };
    })
    .route('POST', '/api/v2/tokens/:id/refresh', (req) => {
      const token = tokenV2(req);
      const next = refreshedExpiration(objectBody(req));
      if (token.status === 'revoked') throw craasError(400, 'Token is revoked.');
      token.expiration = next;
      return { status: 200, body: tokenJson(state, token) };
    })
    .route(
      'POST',
      '/api/v2/tokens/:id/regenerate',
      (req) => {
        const token = tokenV2(req);
        token.expiration = refreshedExpiration(objectBody(req));
        // The old secret dies at once: there is no overlap window.
        token.secret = newSecret();
        token.status = 'active';
        return { status: 200, body: { ...tokenJson(state, token), token: token.secret } };
      },
      { creates: true },
    )
    .route('POST', '/api/v2/tokens/:id/revoke', (req) => {
      tokenV2(req).status = 'revoked';
      return { status: 204 };
    })
    .route('DELETE', '/api/v2/tokens/:id', (req) => {
      state.tokensV2.delete(tokenV2(req).id);
      return { status: 204 };
    });

  const tokenV1 = (req: SimRequest) => {
    const secret = req.params.token ?? '';
    // craas-go's fixtures show `CRgAAAAA…`, the reference's sample a UUID: both forms are tokens,
    // anything else is malformed.
    if (!V1_TOKEN_FORMS.test(secret)) throw craasError(400, 'Invalid or malformed token.');
    const token = state.tokensV1.get(secret);
    if (!token || token.revoked || token.projectId !== projectOf(req))
      throw craasError(404, 'Token not found.');
    return token;
  };
  const v1Json = (expiresAt: number) => ({
    expireAt: Math.floor(expiresAt / 1000),
    // Rounded, not floored: the millisecond between creating the token and answering is no lost second.
    expireIn: Math.max(0, Math.round((expiresAt - state.now()) / 1000)),
  });

  server
    .route(
      'POST',
      '/api/v1/token',
      (req) => {
        const ttl = req.query.get('ttl') ?? '12h';
        const ttlMs = V1_TTLS[ttl];
        if (ttlMs === undefined) throw craasError(400, 'Invalid TTL: use 12h or 1y.');
        const token = {
          secret: state.newV1Token(),
          projectId: projectOf(req),
          ttlMs,
          expiresAt: state.now() + ttlMs,
          revoked: false,
        };
        state.tokensV1.set(token.secret, token);
        return { status: 201, body: { ...v1Json(token.expiresAt), token: token.secret } };
      },
      { creates: true },
    )
    .route('GET', '/api/v1/token/:token', (req) => ({ status: 200, body: v1Json(tokenV1(req).expiresAt) }))
    .route('POST', '/api/v1/token/:token/refresh', (req) => {
      const token = tokenV1(req);
      token.expiresAt = state.now() + token.ttlMs;
      return { status: 200, body: { ...v1Json(token.expiresAt), token: token.secret } };
    })
    .route('DELETE', '/api/v1/token/:token', (req) => {
      tokenV1(req).revoked = true;
      return { status: 204 };
    });
}
