/**
 * Repository and image listings. The seed documents two forms: bare arrays (craas-go's v1
 * `/v1/registries/{id}/repositories` and `.../{name}/images`, the only ones Selectel's own code
 * calls) and paged envelopes with `totalCount` (the v2 lists, as the v2 tokens live under `/v2`).
 * berth asks v2 first, which pages with a total, and falls back to v1 when v2 answers 404 and v1
 * does not: that client then lists through v1 for good. A 404 from both is the registry or
 * repository missing, and proves nothing about v2, so it is not remembered.
 */
import { RESPONSE_LIMITS } from '../http/body.ts';
import { isNotFound } from '../http/errors.ts';
import type { CraasTransport, PageQuery } from './api.ts';
import {
  type Image,
  ImageListV1Schema,
  ImageListV2Schema,
  type Repository,
  RepositoryListV1Schema,
  RepositoryListV2Schema,
} from './schemas.ts';

/** One page of a listing, whichever version answered it. */
export interface ListingPage<T> {
  items: T[];
  /** Entries on the page, skipped ones included: the offset of the next page moves by this. */
  count: number;
  /** The total the v2 envelope reports; undefined for v1, which pages until a short page. */
  total?: number | undefined;
  /** Entries left out because they did not parse, each with the reason. */
  skipped: string[];
}

/**
 * A repository name in a path: each `/`-separated part encoded on its own and the `/` kept raw, as
 * craas-go joins it (pkg/v1/repository/requests.go); `team/app` stays `team/app`, not `team%2Fapp`.
 */
export function repositoryPath(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/** The listing endpoints, remembering per client whether the v2 lists exist. */
export class CraasListings {
  private readonly transport: CraasTransport;
  /** Set once v2 answered 404 where v1 answered: the service has no v2 lists. */
  private v1Only = false;

  constructor(transport: CraasTransport) {
    this.transport = transport;
  }

  /** True once this client fell back to the v1 lists. */
  get usesV1(): boolean {
    return this.v1Only;
  }

  /**
   * A page of repositories: v2 with limit/offset and the total, or v1 with limit/offset (which the
   * seed documents for the array form too) until a short page; 204 is an empty page.
   */
  async repositories(
    registryId: string,
    page: PageQuery,
    signal?: AbortSignal,
  ): Promise<ListingPage<Repository>> {
    const path = `/registries/${encodeURIComponent(registryId)}/repositories`;
    const common = {
      operation: 'repositories.list',
      method: 'GET' as const,
      query: { ...page },
      ...(signal ? { signal } : {}),
    };
    return this.fallback(
      async () => {
        const res = await this.transport.send({
          ...common,
          path: `/v2${path}`,
          schema: RepositoryListV2Schema,
        });
        return { ...res.data.repositories, total: res.data.totalCount };
      },
      async () => {
        const { data } = await this.transport.send({
          ...common,
          path: `/v1${path}`,
          schema: RepositoryListV1Schema,
        });
        // craas-go sends no limit: a service that ignores it answers everything at once, and asking
        // for a next page would list it all again.
        return page.limit !== undefined && data.count > page.limit ? { ...data, total: data.count } : data;
      },
      (page.offset ?? 0) === 0,
    );
  }

  /**
   * A page of images: v2 with limit/offset and the total, or the whole v1 array. The seed gives
   * the v1 image list no query parameters and craas-go sends none, so v1 asks once for everything
   * (its total is what it got); a server ignoring an offset would otherwise repeat the first page.
   */
  async images(
    registryId: string,
    repository: string,
    page: PageQuery,
    signal?: AbortSignal,
  ): Promise<ListingPage<Image>> {
    const path = `/registries/${encodeURIComponent(registryId)}/repositories/${repositoryPath(repository)}/images`;
    const common = { operation: 'images.list', method: 'GET' as const, ...(signal ? { signal } : {}) };
    return this.fallback(
      async () => {
        const res = await this.transport.send({
          ...common,
          path: `/v2${path}`,
          query: { ...page },
          schema: ImageListV2Schema,
        });
        return { ...res.data.images, total: res.data.totalCount };
      },
      async () => {
        // Only the first page exists in v1: a later offset would list everything again.
        if ((page.offset ?? 0) > 0) return { items: [], count: 0, total: 0, skipped: [] };
        const res = await this.transport.send({
          ...common,
          path: `/v1${path}`,
          schema: ImageListV1Schema,
          // Unpaged: a CI repository of thousands of images, each with its layers, is one answer.
          maxResponseBytes: RESPONSE_LIMITS.unpaged,
        });
        return { ...res.data, total: res.data.count };
      },
      (page.offset ?? 0) === 0,
    );
  }

  /**
   * v2 unless this client fell back; v1 when v2 answers 404 on a first page and v1 answers. A 404 on
   * a later page (the repository went between pages) is an error, not evidence about v2.
   */
  private async fallback<T>(v2: () => Promise<T>, v1: () => Promise<T>, firstPage: boolean): Promise<T> {
    if (this.v1Only) return v1();
    try {
      return await v2();
    } catch (err) {
      if (!isNotFound(err) || !firstPage) throw err;
      const answer = await v1();
      this.v1Only = true;
      return answer;
    }
  }
}
