import type { z } from 'zod';
import { RESPONSE_LIMITS } from '../http/body.ts';
import type { TransportOptions } from '../http/client.ts';
import { type ProviderName, SchemaMismatchError } from '../http/errors.ts';
import type { Redactor } from '../http/redact.ts';
import { RegistryAuthenticator, type RegistryCredentials } from './auth.ts';
import { CATALOG_SCOPE, repositoryScope } from './challenge.ts';
import { checkReference, DeletesDisabledError, DigestMismatchError, isDigest } from './errors.ts';
import { imageSize, type ManifestHead, type ManifestInfo, parseManifest, sha256Digest } from './manifest.ts';
import { paginate } from './paging.ts';
import { CatalogSchema, MANIFEST_ACCEPT, TagListSchema } from './schemas.ts';
import { type OciRequest, type OciResponse, OciTransport, safeJson } from './transport.ts';

/** Options of {@link createOciClient}. */
export interface OciClientOptions extends TransportOptions {
  /** Registry root without `/v2`, e.g. `https://shop.cr.de-fra.ionos.com` or `http://127.0.0.1:5000`. */
  baseUrl: string;
  /** The registry login; omitted for anonymous access (public repositories). */
  credentials?: RegistryCredentials | undefined;
  /**
   * Whose registry this is, for metrics labels and error contexts (berth only manages registries
   * of its providers). Operations are named `oci.*`, so they never mix with the provider API's.
   */
  provider: ProviderName;
  /** `n` of catalog and tag list pages (default 100; registries may cap it lower). */
  pageSize?: number | undefined;
}

/** What a manifest DELETE answered: removed now (2xx), or not there to remove (404). */
export type DeleteOutcome = 'deleted' | 'gone';

/** Per-call options. */
export interface OciCallOptions {
  /** Aborts the call (e.g. the reconcile deadline). */
  signal?: AbortSignal | undefined;
}

/**
 * A client of one registry's OCI distribution API: listing, manifest inspection and deletion by
 * digest, which is what retention needs. Errors are the typed errors of `http/errors.ts` plus
 * {@link DeletesDisabledError} and {@link DigestMismatchError}; messages never contain credentials
 * or tokens.
 */
export interface OciClient {
  /** Repository names (`GET /v2/_catalog`), page by page as the registry links them. */
  catalog(options?: OciCallOptions): AsyncIterable<string>;
  /** Tags of a repository (`GET /v2/<name>/tags/list`). NotFoundError: no such repository. */
  tags(repository: string, options?: OciCallOptions): AsyncIterable<string>;
  /** The descriptor a tag or digest resolves to, or undefined when there is none (404). */
  headManifest(
    repository: string,
    reference: string,
    options?: OciCallOptions,
  ): Promise<ManifestHead | undefined>;
  /** The manifest a tag or digest names, parsed, with its digest verified. NotFoundError: none. */
  getManifest(repository: string, reference: string, options?: OciCallOptions): Promise<ManifestInfo>;
  /**
   * Deletes a manifest by digest (every tag pointing at it goes with it). Idempotent: a 404 is no
   * error, but it is told apart (`gone`) from a deletion (`deleted`), because some registries answer
   * 404 to a delete they did not carry out (a wrong path, a delete they do not authorise).
   * DeletesDisabledError: the registry refuses deletes (405).
   */
  deleteManifest(repository: string, digest: string, options?: OciCallOptions): Promise<DeleteOutcome>;
  /** The redactor that knows this client's credentials and tokens. */
  readonly secrets: Redactor;
  /** Closes the connection pool (when the client created it). */
  close(): Promise<void>;
}

/** Creates an {@link OciClient} for one registry. */
export function createOciClient(options: OciClientOptions): OciClient {
  return new DistributionClient(options);
}

class DistributionClient implements OciClient {
  private readonly base: URL;
  private readonly pageSize: number;
  private readonly transport: OciTransport;
  private readonly auth: RegistryAuthenticator;

  constructor(options: OciClientOptions) {
    this.base = new URL(options.baseUrl.replace(/\/+$/, ''));
    this.pageSize = options.pageSize ?? 100;
    this.transport = new OciTransport(options);
    this.auth = new RegistryAuthenticator(this.transport, options.credentials, this.base);
  }

  get secrets(): Redactor {
    return this.transport.secrets;
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  catalog(options: OciCallOptions = {}): AsyncIterable<string> {
    const first = this.url(`/v2/_catalog?n=${this.pageSize}`);
    return paginate(
      first,
      async (url) => {
        const req = this.request('oci.catalog', 'GET', url, options, { accept: 'application/json' });
        const res = await this.ok(req, CATALOG_SCOPE);
        return { items: this.parse(req, res, CatalogSchema).repositories, link: res.headers.link };
      },
      (reason) => this.invalid('oci.catalog', first, reason),
    );
  }

  tags(repository: string, options: OciCallOptions = {}): AsyncIterable<string> {
    checkReference(repository);
    const first = this.url(`/v2/${repository}/tags/list?n=${this.pageSize}`);
    return paginate(
      first,
      async (url) => {
        const req = this.request('oci.tags', 'GET', url, options, { accept: 'application/json' });
        const res = await this.ok(req, repositoryScope(repository, 'pull'));
        return { items: this.parse(req, res, TagListSchema).tags, link: res.headers.link };
      },
      (reason) => this.invalid('oci.tags', first, reason),
    );
  }

  async headManifest(
    repository: string,
    reference: string,
    options: OciCallOptions = {},
  ): Promise<ManifestHead | undefined> {
    checkReference(repository, reference);
    const req = this.request('oci.manifests.head', 'HEAD', this.manifestUrl(repository, reference), options, {
      accept: MANIFEST_ACCEPT,
    });
    const res = await this.send(req, repositoryScope(repository, 'pull'));
    if (res.status === 404) return undefined;
    if (res.status >= 300) throw this.transport.failure(req, res);
    const digest = res.headers['docker-content-digest'] ?? (isDigest(reference) ? reference : undefined);
    const mediaType = res.headers['content-type']?.split(';')[0]?.trim();
    const size = Number(res.headers['content-length']);
    if (digest !== undefined && mediaType && Number.isSafeInteger(size)) return { digest, mediaType, size };
    // Docker-Content-Digest is only a SHOULD; without it, the manifest bytes are the truth.
    const { manifest: _, imageSize: __, ...head } = await this.getManifest(repository, reference, options);
    return head;
  }

  async getManifest(
    repository: string,
    reference: string,
    options: OciCallOptions = {},
  ): Promise<ManifestInfo> {
    checkReference(repository, reference);
    const req = {
      ...this.request('oci.manifests.get', 'GET', this.manifestUrl(repository, reference), options, {
        accept: MANIFEST_ACCEPT,
      }),
      maxBytes: RESPONSE_LIMITS.manifest,
    };
    const res = await this.ok(req, repositoryScope(repository, 'pull'));
    const digest = sha256Digest(res.body);
    // Only sha256 can be checked here; other algorithms are rare and taken on trust.
    const expected = isDigest(reference) ? reference : res.headers['docker-content-digest'];
    if (expected?.startsWith('sha256:') && expected !== digest) {
      throw new DigestMismatchError(`oci manifests.get: the manifest bytes do not match ${expected}`, {
        ...this.transport.context(req),
        status: res.status,
      });
    }
    const parsed = parseManifest(safeJson(res.body), res.headers['content-type']);
    if (!parsed) {
      throw new SchemaMismatchError('oci manifests.get: not an OCI or Docker schema 2 manifest', {
        ...this.transport.context(req),
        status: res.status,
      });
    }
    return {
      digest: isDigest(reference) ? reference : digest,
      mediaType: parsed.mediaType,
      size: res.body.length,
      manifest: parsed.manifest,
      imageSize: imageSize(parsed.manifest),
    };
  }

  async deleteManifest(
    repository: string,
    digest: string,
    options: OciCallOptions = {},
  ): Promise<DeleteOutcome> {
    checkReference(repository, digest, true);
    const req = this.request(
      'oci.manifests.delete',
      'DELETE',
      this.manifestUrl(repository, digest),
      options,
      {
        accept: 'application/json',
      },
    );
    // Distribution asks for `delete`; older ones and some token services still expect `*`, which
    // they then name in the challenge's scope, and the authenticator requests that too.
    const res = await this.send(req, repositoryScope(repository, 'delete'));
    if (res.status === 202 || res.status === 200 || res.status === 204) return 'deleted';
    if (res.status === 404) return 'gone';
    if (res.status === 405) {
      const failure = this.transport.failure(
        req,
        res,
        'oci manifests.delete (deletes are disabled on this registry)',
      );
      throw new DeletesDisabledError(failure.message, failure.context);
    }
    throw this.transport.failure(req, res);
  }

  /** Sends with authentication: answers one 401 challenge, then retries once with the new header. */
  private async send(req: OciRequest, scope: string): Promise<OciResponse> {
    for (let answered = false; ; answered = true) {
      const authorization = this.auth.headerFor(scope);
      const res = await this.transport.send({
        ...req,
        headers: { ...req.headers, ...(authorization ? { authorization } : {}) },
      });
      if (res.status !== 401 || answered) return res;
      if (!(await this.auth.answer(res.headers['www-authenticate'], scope, req.signal))) return res;
    }
  }

  /** {@link send}, throwing the typed error of any status other than 2xx. */
  private async ok(req: OciRequest, scope: string): Promise<OciResponse> {
    const res = await this.send(req, scope);
    if (res.status < 200 || res.status >= 300) throw this.transport.failure(req, res);
    return res;
  }

  /** The body parsed with `schema`; a mismatch names the operation, never the body's values. */
  private parse<S extends z.ZodType>(req: OciRequest, res: OciResponse, schema: S): z.output<S> {
    const parsed = schema.safeParse(safeJson(res.body));
    if (parsed.success) return parsed.data;
    throw new SchemaMismatchError(`${req.operation}: unexpected response body`, {
      ...this.transport.context(req),
      status: res.status,
    });
  }

  private invalid(operation: string, url: URL, reason: string): SchemaMismatchError {
    const context = this.transport.context({ operation, method: 'GET', url, headers: {} });
    return new SchemaMismatchError(`${operation}: ${reason}`, context);
  }

  private request(
    operation: string,
    method: OciRequest['method'],
    url: URL,
    options: OciCallOptions,
    headers: Record<string, string> = {},
  ): OciRequest {
    return { operation, method, url, headers, signal: options.signal };
  }

  private manifestUrl(repository: string, reference: string): URL {
    return this.url(`/v2/${repository}/manifests/${reference}`);
  }

  /** A path below the base URL, which may itself have a path prefix (a registry behind a proxy). */
  private url(path: string): URL {
    return new URL(this.base.pathname.replace(/\/$/, '') + path, this.base);
  }
}
