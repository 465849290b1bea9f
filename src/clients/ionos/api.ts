/**
 * The IONOS Cloud Container Registry API, one method per endpoint, on the shared HttpClient.
 * Three pagination styles live here and nowhere else (shared/providers/ionos.md): registries page
 * by an opaque `pagination.token`, tokens by `offset`/`limit` with a `total`, repositories and
 * artifacts by `offset`/`limit` with a `_links.next` that is present only while more exist.
 */
import { encodePath, type HttpClient } from '../http/client.ts';
import { isNotFound } from '../http/errors.ts';
import { PageLoopGuard, pageLoopError } from '../http/pages.ts';
import type {
  OffsetPage,
  RegistryPatchInput,
  RegistryPropertiesInput,
  TokenPatchInput,
  TokenPropertiesInput,
} from './inputs.ts';
import { offsetPages } from './paging.ts';
import {
  ArtifactSchema,
  ArtifactsSchema,
  type IonosArtifact,
  type IonosRegistry,
  type IonosRepository,
  type IonosToken,
  LocationsSchema,
  RegistriesSchema,
  RegistrySchema,
  RepositoriesSchema,
  RepositorySchema,
  TokenSchema,
  TokensSchema,
} from './schemas.ts';

/** The production endpoint: one for all locations. */
export const IONOS_API_URL = 'https://api.ionos.com/containerregistries';

/** Page size the iterators ask for (the API's default is 100). */
export const DEFAULT_PAGE_SIZE = 100;

/** One page of registries and the token of the next (undefined on the last page). */
export interface RegistryPage {
  items: IonosRegistry[];
  nextToken: string | undefined;
}

/** Endpoint methods. Every one throws the typed errors of `http/errors.ts`. */
export class IonosApi {
  readonly http: HttpClient;

  constructor(http: HttpClient) {
    this.http = http;
  }

  /** `GET /locations`: the location IDs (`de/fra`, ...). */
  async locations(signal?: AbortSignal): Promise<string[]> {
    const res = await this.http.request({
      operation: 'locations.list',
      method: 'GET',
      path: '/locations',
      schema: LocationsSchema,
      ...opt(signal),
    });
    return (res.data.items ?? []).map((l) => l.id);
  }

  /** `HEAD /names/{name}`: 200 means taken, 404 free; 400 (invalid name) throws BadRequestError. */
  async nameStatus(name: string, signal?: AbortSignal): Promise<'taken' | 'available'> {
    try {
      await this.http.request({
        operation: 'names.check',
        method: 'HEAD',
        path: encodePath`/names/${name}`,
        ...opt(signal),
      });
      return 'taken';
    } catch (err) {
      if (isNotFound(err)) return 'available';
      throw err;
    }
  }

  /** `GET /registries` (one page). `name` is the server-side `filter.name` (not an exact match). */
  async listRegistries(
    query: { name?: string | undefined; limit?: number | undefined; token?: string | undefined } = {},
    signal?: AbortSignal,
  ): Promise<RegistryPage> {
    const res = await this.http.request({
      operation: 'registries.list',
      method: 'GET',
      path: '/registries',
      query: {
        'filter.name': query.name,
        limit: query.limit === undefined ? undefined : String(query.limit),
        'pagination.token': query.token,
      },
      schema: RegistriesSchema,
      ...opt(signal),
    });
    const items = res.data.items ?? [];
    const next = res.data.pagination?.token || undefined;
    return { items, nextToken: items.length > 0 && next !== query.token ? next : undefined };
  }

  /** Every registry (matching `filter.name` when given), following the pagination token. */
  async *registries(name?: string, pageSize = DEFAULT_PAGE_SIZE, signal?: AbortSignal) {
    const guard = new PageLoopGuard<IonosRegistry>((r) => r.id, loop('registries.list', '/registries'));
    let token: string | undefined;
    do {
      const page = await this.listRegistries({ name, limit: pageSize, token }, signal);
      guard.page(page.items);
      yield* page.items;
      token = page.nextToken;
      if (token) guard.follow(token);
    } while (token);
  }

  /** `GET /registries/{registryId}`. */
  async getRegistry(registryId: string, signal?: AbortSignal): Promise<IonosRegistry> {
    const res = await this.http.request({
      operation: 'registries.get',
      method: 'GET',
      path: encodePath`/registries/${registryId}`,
      schema: RegistrySchema,
      ...opt(signal),
    });
    return res.data;
  }

  /** `POST /registries` (201, state New/BUSY). Never retried: a repeat could fail on the name. */
  async createRegistry(properties: RegistryPropertiesInput, signal?: AbortSignal): Promise<IonosRegistry> {
    const res = await this.http.request({
      operation: 'registries.create',
      method: 'POST',
      path: '/registries',
      body: { properties },
      schema: RegistrySchema,
      idempotent: false,
      ...opt(signal),
    });
    return res.data;
  }

  /** `PUT /registries/{registryId}`: create-or-replace under a client-chosen UUID. */
  async putRegistry(
    registryId: string,
    properties: RegistryPropertiesInput,
    signal?: AbortSignal,
  ): Promise<IonosRegistry> {
    const res = await this.http.request({
      operation: 'registries.put',
      method: 'PUT',
      path: encodePath`/registries/${registryId}`,
      body: { properties },
      schema: RegistrySchema,
      ...opt(signal),
    });
    return res.data;
  }

  /** `PATCH /registries/{registryId}`: sets the given fields, so repeating it is safe. */
  async patchRegistry(
    registryId: string,
    patch: RegistryPatchInput,
    signal?: AbortSignal,
  ): Promise<IonosRegistry> {
    const res = await this.http.request({
      operation: 'registries.patch',
      method: 'PATCH',
      path: encodePath`/registries/${registryId}`,
      body: patch,
      schema: RegistrySchema,
      idempotent: true,
      ...opt(signal),
    });
    return res.data;
  }

  /** `DELETE /registries/{registryId}` (204); the registry disappears asynchronously. */
  async deleteRegistry(registryId: string, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      operation: 'registries.delete',
      method: 'DELETE',
      path: encodePath`/registries/${registryId}`,
      ...opt(signal),
    });
  }

  /** `GET /registries/{registryId}/tokens` (one page). */
  async listTokens(registryId: string, page: OffsetPage = {}, signal?: AbortSignal) {
    const res = await this.http.request({
      operation: 'tokens.list',
      method: 'GET',
      path: encodePath`/registries/${registryId}/tokens`,
      query: { offset: str(page.offset), limit: str(page.limit) },
      schema: TokensSchema,
      ...opt(signal),
    });
    return res.data;
  }

  /** Every token of a registry, page by page. */
  async *tokens(registryId: string, pageSize = DEFAULT_PAGE_SIZE, signal?: AbortSignal) {
    const path = encodePath`/registries/${registryId}/tokens`;
    const guard = new PageLoopGuard<IonosToken>((t) => t.id, loop('tokens.list', path));
    let offset = 0;
    for (;;) {
      const page = await this.listTokens(registryId, { offset, limit: pageSize }, signal);
      const items = page.items ?? [];
      guard.page(items);
      yield* items;
      offset += items.length;
      const more = typeof page.total === 'number' ? offset < page.total : items.length >= pageSize;
      if (items.length === 0 || !more) return;
    }
  }

  /** `GET /registries/{registryId}/tokens/{tokenId}` (the password is always empty here). */
  async getToken(registryId: string, tokenId: string, signal?: AbortSignal): Promise<IonosToken> {
    const res = await this.http.request({
      operation: 'tokens.get',
      method: 'GET',
      path: encodePath`/registries/${registryId}/tokens/${tokenId}`,
      schema: TokenSchema,
      ...opt(signal),
    });
    return res.data;
  }

  /**
   * `POST /registries/{registryId}/tokens`: the only response that carries the password, which is
   * registered with the redactor at once. Never retried on a failure, except once when the server
   * closed a reused connection before answering: names are unique per registry, so a server that
   * did act on the first copy answers the second with a 409, which the caller resolves by name.
   */
  async createToken(
    registryId: string,
    properties: TokenPropertiesInput,
    signal?: AbortSignal,
  ): Promise<IonosToken> {
    return this.issuing(
      'tokens.create',
      'POST',
      encodePath`/registries/${registryId}/tokens`,
      properties,
      signal,
      true,
    );
  }

  /**
   * `PUT /registries/{registryId}/tokens/{tokenId}`: create-or-replace. The password is in the
   * response only when this call created the token, so it is not retried either: a retry after a
   * lost response would find the token and answer without it.
   */
  async putToken(
    registryId: string,
    tokenId: string,
    properties: TokenPropertiesInput,
    signal?: AbortSignal,
  ): Promise<IonosToken> {
    return this.issuing(
      'tokens.put',
      'PUT',
      encodePath`/registries/${registryId}/tokens/${tokenId}`,
      properties,
      signal,
      // Not even after a stale connection: a replay would replace the token and answer no password.
      false,
    );
  }

  /**
   * A call that may create a token and answer its password: never retried (a retry after a lost
   * answer would find the token and never see the password), unless `onStaleConnection` allows
   * one resend after a pooled connection the server closed unanswered; the password is registered
   * with the redactor before anyone else sees the response.
   */
  private async issuing(
    operation: string,
    method: 'POST' | 'PUT',
    path: string,
    properties: TokenPropertiesInput,
    signal: AbortSignal | undefined,
    onStaleConnection: boolean,
  ): Promise<IonosToken> {
    const res = await this.http.request({
      operation,
      method,
      path,
      body: { properties },
      schema: TokenSchema,
      idempotent: false,
      retryOnStaleConnection: onStaleConnection,
      ...opt(signal),
    });
    this.http.secrets.add(res.data.properties.credentials?.password ?? undefined);
    return res.data;
  }

  /** `PATCH /registries/{registryId}/tokens/{tokenId}`: sets fields, so repeating it is safe. */
  async patchToken(
    registryId: string,
    tokenId: string,
    patch: TokenPatchInput,
    signal?: AbortSignal,
  ): Promise<IonosToken> {
    const res = await this.http.request({
      operation: 'tokens.patch',
      method: 'PATCH',
      path: encodePath`/registries/${registryId}/tokens/${tokenId}`,
      body: patch,
      schema: TokenSchema,
      idempotent: true,
      ...opt(signal),
    });
    return res.data;
  }

  /** `DELETE /registries/{registryId}/tokens/{tokenId}` (204). */
  async deleteToken(registryId: string, tokenId: string, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      operation: 'tokens.delete',
      method: 'DELETE',
      path: encodePath`/registries/${registryId}/tokens/${tokenId}`,
      ...opt(signal),
    });
  }

  /** `GET /registries/{registryId}/repositories` (one page; 1.1+). */
  async listRepositories(
    registryId: string,
    page: OffsetPage & { name?: string | undefined } = {},
    signal?: AbortSignal,
  ) {
    const res = await this.http.request({
      operation: 'repositories.list',
      method: 'GET',
      path: encodePath`/registries/${registryId}/repositories`,
      query: { offset: page.offset, limit: page.limit, 'filter.name': page.name },
      schema: RepositoriesSchema,
      ...opt(signal),
    });
    return res.data;
  }

  /** Every repository of a registry. */
  async *repositories(
    registryId: string,
    pageSize = DEFAULT_PAGE_SIZE,
    signal?: AbortSignal,
  ): AsyncGenerator<IonosRepository> {
    const path = encodePath`/registries/${registryId}/repositories`;
    yield* offsetPages(
      (offset) => this.listRepositories(registryId, { offset, limit: pageSize }, signal),
      new PageLoopGuard((r) => r.id, loop('repositories.list', path)),
    );
  }

  /** `GET /registries/{registryId}/repositories/{repositoryName}` (the name is URL-encoded, `/` too). */
  async getRepository(registryId: string, name: string, signal?: AbortSignal): Promise<IonosRepository> {
    const res = await this.http.request({
      operation: 'repositories.get',
      method: 'GET',
      path: encodePath`/registries/${registryId}/repositories/${name}`,
      schema: RepositorySchema,
      ...opt(signal),
    });
    return res.data;
  }

  /** `DELETE /registries/{registryId}/repositories/{repositoryName}`: all of its content (204). */
  async deleteRepository(registryId: string, name: string, signal?: AbortSignal): Promise<void> {
    await this.http.request({
      operation: 'repositories.delete',
      method: 'DELETE',
      path: encodePath`/registries/${registryId}/repositories/${name}`,
      ...opt(signal),
    });
  }

  /** `GET /registries/{registryId}/repositories/{repositoryName}/artifacts` (one page; 1.1+). */
  async listArtifacts(registryId: string, repository: string, page: OffsetPage = {}, signal?: AbortSignal) {
    const res = await this.http.request({
      operation: 'artifacts.list',
      method: 'GET',
      path: encodePath`/registries/${registryId}/repositories/${repository}/artifacts`,
      query: { offset: page.offset, limit: page.limit },
      schema: ArtifactsSchema,
      ...opt(signal),
    });
    return res.data;
  }

  /** Every artifact (manifest) of a repository. */
  async *artifacts(
    registryId: string,
    repository: string,
    pageSize = DEFAULT_PAGE_SIZE,
    signal?: AbortSignal,
  ): AsyncGenerator<IonosArtifact> {
    const path = encodePath`/registries/${registryId}/repositories/${repository}/artifacts`;
    yield* offsetPages(
      (offset) => this.listArtifacts(registryId, repository, { offset, limit: pageSize }, signal),
      new PageLoopGuard((a) => a.id, loop('artifacts.list', path)),
    );
  }

  /** `GET .../repositories/{repositoryName}/artifacts/{digest}`. */
  async getArtifact(
    registryId: string,
    repository: string,
    digest: string,
    signal?: AbortSignal,
  ): Promise<IonosArtifact> {
    const res = await this.http.request({
      operation: 'artifacts.get',
      method: 'GET',
      path: encodePath`/registries/${registryId}/repositories/${repository}/artifacts/${digest}`,
      schema: ArtifactSchema,
      ...opt(signal),
    });
    return res.data;
  }
}

function str(n: number | undefined): string | undefined {
  return n === undefined ? undefined : String(n);
}

function opt(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}

/** The failure of a GET listing that keeps answering the same page. */
function loop(operation: string, path: string) {
  return (reason: string) => pageLoopError({ provider: 'ionos', operation, method: 'GET', path }, reason);
}
