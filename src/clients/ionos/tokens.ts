/**
 * The Tokens capability for IONOS. The password exists only in the create response; names are
 * unique and immutable per registry and there is no regenerate call, so rotation is create-new then
 * delete-old. The expiry can move with a PATCH (Extend), and so can the scopes. Expired tokens are
 * deleted by IONOS, so a token that vanished reads as undefined, not as an error. IONOS refuses an
 * expiry less than an hour ahead: every requested expiry is raised to that floor (see expiry.ts),
 * and what IONOS granted is what callers get back.
 */
import type { Logger } from 'pino';
import { isNotFound, SchemaMismatchError } from '../http/errors.ts';
import type {
  IssuedCredential,
  IssueRequest,
  ObservedCredential,
  RenewalMode,
  ScopeUpdate,
  TokenRegistry,
  TokenScope,
  Tokens,
} from '../provider.ts';
import type { IonosApi } from './api.ts';
import { localError } from './errors.ts';
import { ExpiryAtSend, type ExpiryFloor, IONOS_MIN_TOKEN_LIFETIME_MS } from './expiry.ts';
import type { ScopeInput, TokenPropertiesInput } from './inputs.ts';
import type { IonosToken } from './schemas.ts';
import { scopeProblems } from './scopes.ts';

/** Tokens at IONOS: issue (POST, never retried), observe, list owned, extend, update scopes, revoke. */
export class IonosTokens implements Tokens {
  readonly renewalModes: readonly RenewalMode[] = ['Rotate', 'Extend'];
  readonly expires = true;
  private readonly api: IonosApi;
  private readonly pageSize: number;
  private readonly logger: Pick<Logger, 'debug'> | undefined;
  private readonly floor: ExpiryFloor;

  constructor(
    api: IonosApi,
    pageSize: number,
    logger?: Pick<Logger, 'debug'>,
    floor: ExpiryFloor = { minLifetimeMs: IONOS_MIN_TOKEN_LIFETIME_MS, now: Date.now },
  ) {
    this.api = api;
    this.pageSize = pageSize;
    this.logger = logger;
    this.floor = floor;
  }

  /** Issues the token; an expiry sooner than IONOS accepts is raised, and the granted one returned. */
  async issue(request: IssueRequest): Promise<IssuedCredential> {
    const properties: TokenPropertiesInput = {
      name: request.name,
      scopes: request.scopes.map(toScope),
      status: 'enabled',
      ...(request.expiresAt ? { expiryDate: new ExpiryAtSend(request.expiresAt, this.floor) } : {}),
    };
    const token = await this.api.createToken(request.registry.externalId, properties);
    const password = token.properties.credentials?.password;
    if (!password) {
      // The only chance to read it is gone; the caller lists owned tokens and replaces this one.
      throw localError(
        SchemaMismatchError,
        201,
        'tokens.create',
        `/registries/${request.registry.externalId}/tokens`,
        `the create response of token ${token.id} carries no password`,
      );
    }
    this.logger?.debug(
      { registryId: request.registry.externalId, tokenId: token.id, tokenName: token.properties.name },
      'issued ionos token',
    );
    return {
      id: token.id,
      name: token.properties.name,
      login: {
        server: request.registry.server,
        // Docker login takes the token name as user name; credentials.username echoes it.
        username: token.properties.credentials?.username || token.properties.name,
        password,
      },
      expiresAt: parseDate(token.properties.expiryDate),
    };
  }

  async observe(registry: TokenRegistry, id: string): Promise<ObservedCredential | undefined> {
    try {
      return toObservedCredential(await this.api.getToken(registry.externalId, id));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async listOwned(registry: TokenRegistry, namePrefix: string): Promise<ObservedCredential[]> {
    const owned: ObservedCredential[] = [];
    for await (const token of this.api.tokens(registry.externalId, this.pageSize)) {
      if (token.properties.name.startsWith(namePrefix)) owned.push(toObservedCredential(token));
    }
    return owned;
  }

  /** Moves the expiry (raised to what IONOS accepts, like `issue`); NotFoundError once it vanished. */
  async extend(registry: TokenRegistry, id: string, expiresAt: Date): Promise<ObservedCredential> {
    const expiryDate = new ExpiryAtSend(expiresAt, this.floor);
    const token = await this.api.patchToken(registry.externalId, id, { expiryDate });
    return toObservedCredential(token);
  }

  /**
   * PATCH with `scopes` only: it replaces the token's whole list ("`scopes` replaces the whole
   * list. ionosctl's 'scope add' does GET, then PATCH with the full list", shared/providers/ionos.md)
   * and leaves expiry, status and password alone. Problems: whatever the answer shows differently
   * from what was asked. NotFoundError once the token vanished (expired tokens are deleted).
   */
  async updateScopes(
    registry: TokenRegistry,
    id: string,
    scopes: readonly TokenScope[],
  ): Promise<ScopeUpdate> {
    const token = await this.api.patchToken(registry.externalId, id, { scopes: scopes.map(toScope) });
    return { problems: scopeProblems(scopes, token.properties.scopes ?? []) };
  }

  async revoke(registry: TokenRegistry, id: string): Promise<void> {
    try {
      await this.api.deleteToken(registry.externalId, id);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

/** A berth scope as an IONOS repository scope (`*` keeps its meaning: every repository). */
export function toScope(scope: TokenScope): ScopeInput {
  return { name: scope.repository, type: 'repository', actions: [...scope.actions] };
}

/** A token as the provider-neutral observation (never with its password). */
export function toObservedCredential(token: IonosToken): ObservedCredential {
  return {
    id: token.id,
    name: token.properties.name,
    expiresAt: parseDate(token.properties.expiryDate),
    enabled: token.properties.status !== 'disabled',
  };
}

/** Dates come back in more than one RFC 3339 form: compare instants, never strings. */
function parseDate(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
