/**
 * The CRaaS endpoints berth uses, one method each, on the shared HttpClient. Paths follow craas-go,
 * terraform-provider-selectel and the public clients named in the notes (the seed has no paths).
 * v1 lives under `<apiEndpoint>/v1`, the paged list variants and scoped tokens under `/v2`.
 */
import type { z } from 'zod';
import { encodePath, type HttpClient, type HttpResponse, type RequestOptions } from '../http/client.ts';
import { ProviderError, UnauthorizedError } from '../http/errors.ts';
import { PageLoopGuard, pageLoopError } from '../http/pages.ts';
import type { SelectelAuth } from './auth.ts';
import {
  type CleanupResult,
  CleanupResultSchema,
  GcSizeSchema,
  type Image,
  ImageListV2Schema,
  type Registry,
  RegistryListV1Schema,
  RegistryListV2Schema,
  RegistrySchema,
  type Repository,
  RepositoryListV2Schema,
  RepositorySchema,
} from './schemas.ts';
import { CraasTokensApi } from './tokens-api.ts';

/** The production CRaaS API base (versions below it). */
export const DEFAULT_API_ENDPOINT = 'https://cr.selcloud.ru/api';

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
 * Sends CRaaS requests with the IAM token of {@link SelectelAuth}. A 401 with a renewable token
 * drops it and retries once with a fresh one: the API refused the request before acting on it, so
 * this is safe even for creates. Error contexts are scrubbed of registered secrets, because v1 token
 * paths carry the token itself.
 */
export class CraasTransport {
  readonly http: HttpClient;
  private readonly auth: SelectelAuth;

  constructor(http: HttpClient, auth: SelectelAuth) {
    this.http = http;
    this.auth = auth;
  }

  /** Sends one request (retries per HttpClient rules, plus the one re-authentication above). */
  async send<S extends z.ZodType | undefined = undefined>(
    call: Call<S>,
  ): Promise<HttpResponse<S extends z.ZodType ? z.infer<S> : undefined>> {
    let token = await this.auth.token();
    try {
      try {
        return await this.http.request({
          ...call,
          headers: { ...call.headers, 'x-auth-token': token.value },
        });
      } catch (err) {
        if (!(err instanceof UnauthorizedError) || !this.auth.renewable) throw err;
        this.auth.invalidate(token.generation);
        token = await this.auth.token();
        return await this.http.request({
          ...call,
          headers: { ...call.headers, 'x-auth-token': token.value },
        });
      }
    } catch (err) {
      if (err instanceof ProviderError) err.context.path = this.http.secrets.redact(err.context.path);
      throw err;
    }
  }
}

/**
 * Every page of an offset/limit listing: until `totalCount` is reached, or a short or empty page.
 * A server that ignores `offset` and has no total answers full pages for ever; `guard` ends that.
 */
export async function* paginate<T>(
  pageSize: number,
  fetch: (offset: number, limit: number) => Promise<{ items: T[]; total?: number | undefined }>,
  guard: PageLoopGuard<T>,
): AsyncGenerator<T> {
  for (let offset = 0; ; ) {
    const { items, total } = await fetch(offset, pageSize);
    guard.page(items);
    yield* items;
    offset += items.length;
    if (items.length === 0 || (total !== undefined ? offset >= total : items.length < pageSize)) return;
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

  constructor(transport: CraasTransport) {
    this.transport = transport;
    this.tokens = new CraasTokensApi(transport);
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

  /** `GET /v2/registries/{id}/repositories`: a page and the total. */
  async listRepositories(registryId: string, page: PageQuery = {}, signal?: AbortSignal) {
    const res = await this.transport.send({
      operation: 'repositories.list',
      method: 'GET',
      path: encodePath`/v2/registries/${registryId}/repositories`,
      query: { ...page },
      schema: RepositoryListV2Schema,
      ...(signal ? { signal } : {}),
    });
    return res.data;
  }

  /** `GET /v1/registries/{id}/repositories/{name}` (the name is one encoded segment). */
  async getRepository(registryId: string, name: string, signal?: AbortSignal): Promise<Repository> {
    const res = await this.transport.send({
      operation: 'repositories.get',
      method: 'GET',
      path: encodePath`/v1/registries/${registryId}/repositories/${name}`,
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
      path: encodePath`/v1/registries/${registryId}/repositories/${name}`,
      ...(signal ? { signal } : {}),
    });
  }

  /** `GET /v2/registries/{id}/repositories/{name}/images`: a page and the total. */
  async listImages(registryId: string, repository: string, page: PageQuery = {}, signal?: AbortSignal) {
    const res = await this.transport.send({
      operation: 'images.list',
      method: 'GET',
      path: encodePath`/v2/registries/${registryId}/repositories/${repository}/images`,
      query: { ...page },
      schema: ImageListV2Schema,
      ...(signal ? { signal } : {}),
    });
    return res.data as { images: Image[]; totalCount: number; filteredCount?: number | undefined };
  }

  /** `DELETE /v1/registries/{id}/repositories/{name}/{digest}`; ConflictError while a collection runs. */
  async deleteManifest(registryId: string, repository: string, digest: string, signal?: AbortSignal) {
    await this.transport.send({
      operation: 'images.deleteManifest',
      method: 'DELETE',
      path: encodePath`/v1/registries/${registryId}/repositories/${repository}/${digest}`,
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
      path: encodePath`/v1/registries/${registryId}/repositories/${repository}/cleanup`,
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
