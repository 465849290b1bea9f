// A deliberately small client for the OCI distribution API, written apart from berth's own
// (src/clients/oci): the fixtures that check what a cleanup run left behind must not share the
// bugs of the code under test.
import { createHash } from 'node:crypto';

/** A registry login: htpasswd credentials, or a provider credential the token service accepts. */
export interface RegistryLogin {
  username: string;
  password: string;
}

/** A registry answer a fixture did not expect; the message names the request, never a credential. */
export class RegistryHttpError extends Error {
  override readonly name = 'RegistryHttpError';
  readonly method: string;
  readonly path: string;
  readonly status: number;

  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path}: HTTP ${status} ${body.slice(0, 300)}`);
    this.method = method;
    this.path = path;
    this.status = status;
  }
}

/** `sha256:<hex>` of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The parameters of a `Bearer` challenge (realm, service, scope), or undefined for another scheme. */
function bearerChallenge(header: string | null): Record<string, string> | undefined {
  if (!header || !/^bearer\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/([a-z]+)="([^"]*)"/gi)) params[(m[1] ?? '').toLowerCase()] = m[2] ?? '';
  return params;
}

/** Which actions a request needs, for the token scope when the registry's challenge names none. */
function actionsFor(method: string): string {
  if (method === 'GET' || method === 'HEAD') return 'pull';
  return method === 'DELETE' ? 'delete' : 'pull,push';
}

/**
 * One login at one registry over plain HTTP. A 401 is answered the way docker does: Basic
 * credentials for an htpasswd registry, or a token fetched from the challenge's realm (the
 * simulators' token service) for the scope the registry asked for. Tokens are short-lived, so a
 * 401 with a token in hand fetches a fresh one once before giving up.
 */
export class RegistrySession {
  private readonly tokens = new Map<string, string>();

  readonly host: string;
  private readonly login: RegistryLogin | undefined;

  constructor(host: string, login?: RegistryLogin) {
    this.host = host;
    this.login = login;
  }

  /** Sends `method /v2/<repository>/<path>`, answering auth challenges; returns any response but a 401. */
  async request(
    method: string,
    repository: string,
    path: string,
    init: { body?: Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const url = path.startsWith('http') ? path : `http://${this.host}/v2/${repository}/${path}`;
    // Cached under the scope this request needs; fetched for the scope the registry names.
    const key = `repository:${repository}:${actionsFor(method)}`;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      const auth = this.tokens.get(key);
      if (auth) headers.authorization = auth;
      const res = await fetch(url, {
        method,
        headers,
        ...(init.body ? { body: init.body } : {}),
        redirect: 'follow',
        signal: AbortSignal.timeout(30_000),
      });
      if (res.status !== 401 || attempt > 0 || !this.login) return res;
      await res.arrayBuffer();
      const challenge = bearerChallenge(res.headers.get('www-authenticate'));
      if (!challenge) {
        if (auth) return res; // Basic was sent and refused: the login is wrong
        this.tokens.set(key, this.basic());
        continue;
      }
      this.tokens.set(key, `Bearer ${await this.fetchToken(challenge, challenge.scope || key)}`);
    }
  }

  /** Like {@link request}, but throws a {@link RegistryHttpError} unless the status is one of `ok`. */
  async expect(
    ok: number[],
    method: string,
    repository: string,
    path: string,
    init: { body?: Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const res = await this.request(method, repository, path, init);
    if (!ok.includes(res.status))
      throw new RegistryHttpError(method, `${repository}/${path}`, res.status, await res.text());
    return res;
  }

  /** Uploads a blob (POST then PUT, which every registry accepts) and returns its digest. */
  async putBlob(repository: string, bytes: Uint8Array): Promise<string> {
    const digest = sha256(bytes);
    const started = await this.expect([202], 'POST', repository, 'blobs/uploads/');
    await started.arrayBuffer();
    const location = started.headers.get('location');
    if (!location) throw new Error(`POST ${repository}/blobs/uploads/: no Location header`);
    const upload = new URL(location, `http://${this.host}`);
    upload.searchParams.set('digest', digest);
    const done = await this.expect([201], 'PUT', repository, upload.toString(), {
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await done.arrayBuffer();
    return digest;
  }

  /** Puts a manifest under `reference` (a tag or its own digest) and returns its digest. */
  async putManifest(
    repository: string,
    reference: string,
    manifest: Uint8Array,
    mediaType: string,
  ): Promise<string> {
    const res = await this.expect([201], 'PUT', repository, `manifests/${reference}`, {
      body: manifest,
      headers: { 'content-type': mediaType },
    });
    await res.arrayBuffer();
    return sha256(manifest);
  }

  private basic(): string {
    const { username, password } = this.login as RegistryLogin;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  private async fetchToken(challenge: Record<string, string>, scope: string): Promise<string> {
    const url = new URL(challenge.realm ?? '');
    if (challenge.service) url.searchParams.set('service', challenge.service);
    url.searchParams.set('scope', scope);
    const res = await fetch(url, {
      headers: { authorization: this.basic() },
      signal: AbortSignal.timeout(30_000),
    });
    const body = await res.text();
    if (res.status !== 200) throw new RegistryHttpError('GET', `token for ${scope}`, res.status, body);
    const parsed = JSON.parse(body) as { token?: string; access_token?: string };
    const token = parsed.token ?? parsed.access_token;
    if (!token) throw new Error(`token service answered without a token for ${scope}`);
    return token;
  }
}
