/**
 * The CRaaS endpoints berth uses, one method each, on the shared HttpClient. Paths follow craas-go,
 * terraform-provider-selectel and the public clients named in the notes (the seed has no paths).
 * A path names its version (`/v1/...`, `/v2/...`); the transport sends it to that version's base
 * (endpoints.ts: the token's catalog, or `<apiEndpoint>/v1` and `/v2`).
 */
import type { z } from 'zod';
import { encodePath, type HttpClient, type HttpResponse, type RequestOptions } from '../http/client.ts';
import { ProviderError, UnauthorizedError } from '../http/errors.ts';
import { PageLoopGuard, pageLoopError } from '../http/pages.ts';
import type { SelectelAuth } from './auth.ts';
import { CraasListings, repositoryPath } from './listings.ts';
import {
  type CleanupResult,
  CleanupResultSchema,
  GcSizeSchema,
  type Registry,
  RegistryListV1Schema,
  RegistryListV2Schema,
  RegistrySchema,
  type Repository,
  RepositorySchema,
} from './schemas.ts';
import { CraasTokensApi } from './tokens-api.ts';

/** Offset/limit paging as the API takes it (default limit 10 at the provider). */
export interface PageQuery {
  limit?: number | undefined;
  offset?: number | undefined;
  search?: string | undefined;
}

/**
 * What a cleanup should remove; `disableGc: false` lets the provider start a collection afterwards.
 * A tag named here may take its whole image with it (see images.ts), so the adapter sends digests.
 */
export interface CleanupRequest {
  digests?: string[] | undefined;
  tags?: string[] | undefined;
  disableGc: boolean;
}

/** A request without the path prefix and auth, as the endpoint methods describe it. */
type Call<S extends z.ZodType | undefined> = RequestOptions<S>;

/**
 * Sends CRaaS requests with the IAM token of {@link SelectelAuth}, to the base of the version the
 * path starts with. A 401 with a renewable token drops it and retries once with a fresh one: the
 * API refused the request before acting on it, so this is safe even for creates. Error contexts
 * carry the versioned path, scrubbed of registered secrets (v1 token paths carry the token itself).
 */
export class CraasTransport {
  readonly http: HttpClient;
  private readonly auth: SelectelAuth;
  private readonly onV1Base: (url: string) => void;

  /** `onV1Base` hears the v1 base each request resolves (the adapter takes the docker host from it). */
  constructor(http: HttpClient, auth: SelectelAuth, onV1Base: (url: string) => void = () => {}) {
    this.http = http;
    this.auth = auth;
    this.onV1Base = onV1Base;
  }

  /** Sends one request (retries per HttpClient rules, plus the one re-authentication above). */
  async send<S extends z.ZodType | undefined = undefined>(
    call: Call<S>,
  ): Promise<HttpResponse<S extends z.ZodType ? z.infer<S> : undefined>> {
    const attempt = async () => {
      const token = await this.auth.token();
      const endpoints = await this.auth.endpoints();
      this.onV1Base(endpoints.v1);
      const { baseUrl, path } = versioned(call.path, endpoints);
      return {
        token,
        res: this.http.request({
          ...call,
          baseUrl,
          path,
          headers: { ...call.headers, 'x-auth-token': token.value },
        }),
      };
    };
    try {
      const first = await attempt();
      try {
        return await first.res;
      } catch (err) {
        if (!(err instanceof UnauthorizedError) || !this.auth.renewable) throw err;
        this.auth.invalidate(first.token.generation);
        return await (await attempt()).res;
      }
    } catch (err) {
      // Only this call's errors get its path; an identity failure keeps its own.
      if (err instanceof ProviderError && err.context.operation === call.operation)
        err.context.path = this.http.secrets.redact(call.path);
      throw err;
    }
  }
}

/** `/v1/rest` → the v1 base and `/rest` (likewise v2); other paths are a programming error. */
function versioned(path: string, endpoints: { v1: string; v2: string }): { baseUrl: string; path: string } {
  const match = /^\/(v1|v2)(\/.*)?$/.exec(path);
  if (!match) throw new Error(`selectel: path ${path} names no API version`);
  return { baseUrl: endpoints[match[1] as 'v1' | 'v2'], path: match[2] ?? '' };
}

/**
 * Every page of an offset/limit listing: until `totalCount` is reached, or a short or empty page.
 * `count` is how many entries the page held when some were skipped as unreadable (listings.ts),
 * so the next offset moves past them. A server that ignores `offset` and has no total answers
 * full pages for ever; `guard` ends that.
 */
export async function* paginate<T>(
  pageSize: number,
  fetch: (
    offset: number,
    limit: number,
  ) => Promise<{ items: T[]; total?: number | undefined; count?: number | undefined }>,
  guard: PageLoopGuard<T>,
): AsyncGenerator<T> {
  for (let offset = 0; ; ) {
    const { items, total, count = items.length } = await fetch(offset, pageSize);
    guard.page(items);
    yield* items;
    offset += count;
    if (count === 0 || (total !== undefined ? offset >= total : count < pageSize)) return;
  }
}

/** A guard for a CRaaS listing (`GET path`), keyed by `key`, failing with the operation's name. */
export function listingGuard<T>(operation: string, path: string, key: (item: T) => string): PageLoopGuard<T> {
  return new PageLoopGuard(key, (reason) =>
    pageLoopError({ provider: 'selectel', operation, method: 'GET', path }, reason),
  );
}

/** One method per CRaaS endpoint (registries, repositories, images, cleanup, GC; tokens in `tokens`). */
export class CraasApi {
  readonly transport: CraasTransport;
  /** v1 TTL tokens and v2 scoped tokens. */
  readonly tokens: CraasTokensApi;
  /** Repository and image lists (v2, or v1 where v2 is missing). */
  readonly listings: CraasListings;

  constructor(transport: CraasTransport) {
    this.transport = transport;
    this.tokens = new CraasTokensApi(transport);
    this.listings = new CraasListings(transport);
  }

  /** `GET /v1/registries` (array, 204 when empty). */
  async listRegistries(page: PageQuery = {}, signal?: AbortSignal): Promise<Registry[]> {
    const res = await this.transport.send({
      operation: 'registries.list',
      method: 'GET',
      path: '/v1/registries',
      query: { ...page },
      schema: RegistryListV1Schema,
      ...(signal ? { signal } : {}),
    });
    return res.data;
  }

  /** `GET /v2/registries`: a page and the total. */
  async listRegistriesV2(page: PageQuery = {}, signal?: AbortSignal) {
    const res = await this.transport.send({
      operation: 'registries.listV2',
      method: 'GET',
      path: '/v2/registries',
      query: { ...page },
      schema: RegistryListV2Schema,
      ...(signal ? { signal } : {}),
    });
    return res.data;
  }

  /** `GET /v1/registries/{id}`; NotFoundError when absent. */
  async getRegistry(id: string, signal?: AbortSignal): Promise<Registry> {
    const res = await this.transport.send({
      operation: 'registries.get',
      method: 'GET',
      path: encodePath`/v1/registries/${id}`,
      schema: RegistrySchema,
      ...(signal ? { signal } : {}),
    });
    return res.data;
  }

  /** `POST /v1/registries` (status CREATING); ConflictError when the name is taken. Never retried. */
  async createRegistry(name: string, signal?: AbortSignal): Promise<Registry> {
    const res = await this.transport.send({
      operation: 'registries.create',
      method: 'POST',
      path: '/v1/registries',
      body: { name },
      schema: RegistrySchema,
      ...(signal ? { signal } : {}),
    });
    return res.data;
  }

  /** `DELETE /v1/registries/{id}`: starts the (asynchronous) deletion. */
  async deleteRegistry(id: string, signal?: AbortSignal): Promise<void> {
    await this.transport.send({
      operation: 'registries.delete',
      method: 'DELETE',
      path: encodePath`/v1/registries/${id}`,
      ...(signal ? { signal } : {}),
    });
  }

  /** `GET /v1/registries/{id}/repositories/{name}` (a nested name keeps its raw `/`). */
  async getRepository(registryId: string, name: string, signal?: AbortSignal): Promise<Repository> {
    const res = await this.transport.send({
      operation: 'repositories.get',
      method: 'GET',
      path: `${encodePath`/v1/registries/${registryId}/repositories/`}${repositoryPath(name)}`,
      schema: RepositorySchema,
      ...(signal ? { signal } : {}),
    });
    return res.data;
  }

  /** `DELETE /v1/registries/{id}/repositories/{name}`; ConflictError while a collection runs. */
  async deleteRepository(registryId: string, name: string, signal?: AbortSignal): Promise<void> {
    await this.transport.send({
      operation: 'repositories.delete',
      method: 'DELETE',
      path: `${encodePath`/v1/registries/${registryId}/repositories/`}${repositoryPath(name)}`,
      ...(signal ? { signal } : {}),
    });
  }

  /** `DELETE /v1/registries/{id}/repositories/{name}/{digest}`; ConflictError while a collection runs. */
  async deleteManifest(registryId: string, repository: string, digest: string, signal?: AbortSignal) {
    await this.transport.send({
      operation: 'images.deleteManifest',
      method: 'DELETE',
      path: `${encodePath`/v1/registries/${registryId}/repositories/`}${repositoryPath(repository)}${encodePath`/${digest}`}`,
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * `POST /v1/registries/{id}/repositories/{name}/cleanup`. A 200 may still list `failed` items.
   * Repeating it only reports already removed items again, so it is retried like a DELETE.
   */
  async cleanupRepository(
    registryId: string,
    repository: string,
    request: CleanupRequest,
    signal?: AbortSignal,
  ): Promise<CleanupResult> {
    const res = await this.transport.send({
      operation: 'images.cleanup',
      method: 'POST',
      path: `${encodePath`/v1/registries/${registryId}/repositories/`}${repositoryPath(repository)}/cleanup`,
      body: { digests: request.digests ?? [], tags: request.tags ?? [], disable_gc: request.disableGc },
      schema: CleanupResultSchema,
      idempotent: true,
      ...(signal ? { signal } : {}),
    });
    return res.data;
  }

  /**
   * `POST /v1/registries/{id}/garbage-collection`; ConflictError while one runs. A repeat after a
   * lost answer meets that 409, which callers read as "running", so it is retried.
   */
  async startGarbageCollection(
    registryId: string,
    options: { deleteUntagged?: boolean | undefined } = {},
    signal?: AbortSignal,
  ): Promise<void> {
    await this.transport.send({
      operation: 'gc.start',
      method: 'POST',
      path: encodePath`/v1/registries/${registryId}/garbage-collection`,
      query: { 'delete-untagged': options.deleteUntagged },
      idempotent: true,
      ...(signal ? { signal } : {}),
    });
  }

  /** `GET /v1/registries/{id}/garbage-collection/size`: bytes a collection would free. */
  async getGarbageCollectionSize(registryId: string, signal?: AbortSignal) {
    const res = await this.transport.send({
      operation: 'gc.size',
      method: 'GET',
      path: encodePath`/v1/registries/${registryId}/garbage-collection/size`,
      schema: GcSizeSchema,
      ...(signal ? { signal } : {}),
    });
    return res.data;
  }
}
