/**
 * The simulators' own client of the real registry behind them (CNCF distribution, plain HTTP):
 * catalog, tags, manifests, blobs and deletes. It stands for the provider's backend, which owns
 * its registry, so it acts with every right through tokens it is handed (the token service signs
 * them without a login); it never sees or logs a user's credential.
 */
import { createHash } from 'node:crypto';
import { fetch } from 'undici';

/** One entry of a registry token's `access` claim. */
export interface RegistryAccess {
  type: string;
  name: string;
  actions: string[];
}

/** Signs a bearer token for exactly this access (undefined: the registry needs no auth). */
export type RegistryAuthorizer = (access: RegistryAccess) => Promise<string>;

/** Every manifest type distribution serves; asking for all of them avoids a converted answer. */
export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

/** An answer of the registry that was not what the call needed. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly status: number;
  constructor(what: string, status: number, body: string) {
    // The body is the registry's JSON error (codes and messages), never a credential.
    super(`registry ${what}: HTTP ${status} ${body.slice(0, 200)}`);
    this.status = status;
  }
}

/** A manifest as stored: its digest, type and exact bytes. */
export interface StoredManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/** How long a signed token is reused; shorter than the token service's 60 s lifetime. */
const TOKEN_REUSE_MS = 30_000;

/** A plain-HTTP distribution client with all rights, for the simulators. */
export class RegistryClient {
  readonly baseUrl: string;
  private readonly authorize: RegistryAuthorizer | undefined;
  private readonly tokens = new Map<string, { token: string; until: number }>();

  /** `host` is `ADDRESS:PORT` of the registry. */
  constructor(host: string, authorize?: RegistryAuthorizer) {
    this.baseUrl = `http://${host}`;
    this.authorize = authorize;
  }

  /** Every repository name (`/v2/_catalog`, followed page by page). */
  async catalog(): Promise<string[]> {
    const names: string[] = [];
    let path: string | undefined = '/v2/_catalog?n=1000';
    while (path) {
      const res = await this.call('GET', path, catalogAccess);
      const body = (await res.json()) as { repositories?: string[] | null };
      names.push(...(body.repositories ?? []));
      path = nextLink(res.headers.get('link'));
    }
    return names;
  }

  /** The repository's tags; empty when the repository is unknown. */
  async tags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repository}/tags/list?n=1000`;
    while (path) {
      const res = await this.call('GET', path, repositoryAccess(repository), [404]);
      if (res.status === 404) return [];
      const body = (await res.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      path = nextLink(res.headers.get('link'));
    }
    return tags;
  }

  /** Resolves a tag or digest without the body; undefined when absent. */
  async head(
    repository: string,
    reference: string,
  ): Promise<{ digest: string; mediaType: string } | undefined> {
    const res = await this.call(
      'HEAD',
      `/v2/${repository}/manifests/${reference}`,
      repositoryAccess(repository),
      [404],
    );
    if (res.status === 404) return undefined;
    return { digest: res.headers.get('docker-content-digest') ?? '', mediaType: contentType(res.headers) };
  }

  /** A manifest by tag or digest; undefined when absent. */
  async manifest(repository: string, reference: string): Promise<StoredManifest | undefined> {
    const res = await this.call(
      'GET',
      `/v2/${repository}/manifests/${reference}`,
      repositoryAccess(repository),
      [404],
    );
    if (res.status === 404) return undefined;
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = res.headers.get('docker-content-digest') ?? sha256(bytes);
    return { digest, mediaType: contentType(res.headers), bytes };
  }

  /** A blob's bytes (a config, say); undefined when absent. */
  async blob(repository: string, digest: string): Promise<Buffer | undefined> {
    const res = await this.call(
      'GET',
      `/v2/${repository}/blobs/${digest}`,
      repositoryAccess(repository),
      [404],
    );
    if (res.status === 404) return undefined;
    return Buffer.from(await res.arrayBuffer());
  }

  /**
   * The referrers of a manifest through the OCI 1.1 referrers API, or undefined where the registry
   * does not serve it (404 on the route; distribution 3.1 has none).
   */
  async referrers(repository: string, digest: string): Promise<string[] | undefined> {
    const res = await this.call(
      'GET',
      `/v2/${repository}/referrers/${digest}`,
      repositoryAccess(repository),
      [404],
    );
    if (res.status === 404) return undefined;
    const body = (await res.json()) as { manifests?: { digest?: string }[] };
    return (body.manifests ?? []).flatMap((m) => (m.digest ? [m.digest] : []));
  }

  /** Deletes a manifest by digest (every tag on it goes too); false when it was not there. */
  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const res = await this.call(
      'DELETE',
      `/v2/${repository}/manifests/${digest}`,
      repositoryAccess(repository),
      [404],
    );
    return res.status !== 404;
  }

  /** Deletes one tag and leaves its manifest (distribution 3 accepts a tag here); false when absent. */
  async deleteTag(repository: string, tag: string): Promise<boolean> {
    return this.deleteManifest(repository, tag);
  }

  /** Stores a manifest under a tag or its digest; resolves the digest. */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<string> {
    const res = await this.call(
      'PUT',
      `/v2/${repository}/manifests/${reference}`,
      repositoryAccess(repository),
      [],
      {
        body: bytes,
        headers: { 'content-type': mediaType },
      },
    );
    return res.headers.get('docker-content-digest') ?? sha256(bytes);
  }

  /** Uploads a blob in one request; resolves its digest. */
  async putBlob(repository: string, bytes: Buffer): Promise<string> {
    const digest = sha256(bytes);
    const start = await this.call('POST', `/v2/${repository}/blobs/uploads/`, repositoryAccess(repository));
    const location = new URL(start.headers.get('location') ?? '', this.baseUrl);
    location.searchParams.set('digest', digest);
    await this.call('PUT', `${location.pathname}${location.search}`, repositoryAccess(repository), [], {
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    return digest;
  }

  private async call(
    method: string,
    path: string,
    access: RegistryAccess,
    allowed: number[] = [],
    init: { body?: Buffer; headers?: Record<string, string> } = {},
  ) {
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: MANIFEST_TYPES.join(', '), ...init.headers };
      const token = await this.token(access, attempt > 0);
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(init.body ? { body: init.body } : {}),
        signal: AbortSignal.timeout(30_000),
      });
      // A token signed just before the registry's clock passed its `nbf`: sign once more.
      if (res.status === 401 && attempt === 0 && this.authorize) {
        await res.body?.cancel();
        continue;
      }
      if (res.ok || allowed.includes(res.status)) return res;
      throw new RegistryError(
        `${method} ${path.split('?')[0]}`,
        res.status,
        await res.text().catch(() => ''),
      );
    }
  }

  private async token(access: RegistryAccess, fresh: boolean): Promise<string | undefined> {
    if (!this.authorize) return undefined;
    const key = `${access.type}:${access.name}:${access.actions.join(',')}`;
    const cached = this.tokens.get(key);
    if (cached && !fresh && cached.until > performance.now()) return cached.token;
    const token = await this.authorize(access);
    this.tokens.set(key, { token, until: performance.now() + TOKEN_REUSE_MS });
    return token;
  }
}

/** The sha256 digest of some bytes, as registries write it. */
export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

const catalogAccess: RegistryAccess = { type: 'registry', name: 'catalog', actions: ['*'] };

function repositoryAccess(name: string): RegistryAccess {
  return { type: 'repository', name, actions: ['pull', 'push', 'delete'] };
}

function contentType(headers: { get(name: string): string | null }): string {
  return (headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
}

/** The path of an RFC 5988 `rel="next"` link, as distribution pages catalogs and tag lists. */
function nextLink(header: string | null): string | undefined {
  const match = header ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(header) : null;
  if (!match?.[1]) return undefined;
  const url = new URL(match[1], 'http://registry');
  return `${url.pathname}${url.search}`;
}
