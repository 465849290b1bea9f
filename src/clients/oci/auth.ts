import { SchemaMismatchError } from '../http/errors.ts';
import { type AuthChallenge, parseChallenges } from './challenge.ts';
import { RealmRefusedError } from './errors.ts';
import { KNOWN_TOKEN_HOSTS, realmRefusal } from './origin.ts';
import { TokenResponseSchema } from './schemas.ts';
import { type OciTransport, safeJson } from './transport.ts';

/** A registry login: a robot account, a provider-issued token credential, or an htpasswd user. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

/** Spec default when a token response has no `expires_in`. */
const DEFAULT_TOKEN_TTL_SECONDS = 60;

/**
 * Answers a registry's authentication challenges, per distribution's token authentication spec:
 * a `Bearer` challenge sends the client to the realm for a token scoped to one repository and
 * action (fetched with the Basic credentials, cached per scope until shortly before
 * `expires_in`); a `Basic` challenge (htpasswd registries) is answered with the credentials
 * themselves. Once a scheme is known, later requests authenticate up front instead of paying
 * for a 401 each time. Credentials and tokens are registered with the redactor as they appear.
 * A realm gets the credentials only if {@link realmRefusal} allows it (the registry's own host,
 * over https), else the call fails with a RealmRefusedError and nothing is sent.
 */
export class RegistryAuthenticator {
  private readonly transport: OciTransport;
  /** The registry's base URL: the host a realm must be on. */
  private readonly registry: URL;
  private readonly basic: string | undefined;
  private readonly now: () => number;
  private scheme: 'basic' | 'bearer' | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  /** Token requests in flight per scope, so concurrent 401s for one scope fetch one token. */
  private readonly fetching = new Map<string, Promise<CachedToken>>();

  constructor(
    transport: OciTransport,
    credentials: RegistryCredentials | undefined,
    registry: URL,
    now = Date.now,
  ) {
    this.transport = transport;
    this.registry = registry;
    this.now = now;
    if (credentials) {
      const encoded = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
      // Held while this client lives: a cleanup run's deletes must not outlast their redaction.
      transport.secrets.hold(this, 'password', credentials.password);
      transport.secrets.hold(this, 'basic', encoded);
      this.basic = `Basic ${encoded}`;
    }
  }

  /** The `Authorization` header to send up front for `scope`, when one is known and fresh. */
  headerFor(scope: string): string | undefined {
    if (this.scheme === 'basic') return this.basic;
    const cached = this.tokens.get(scope);
    if (cached && cached.expiresAt > this.now()) return cached.header;
    if (cached) this.tokens.delete(scope);
    return undefined;
  }

  /**
   * Learns from a 401's `WWW-Authenticate` header. Resolves true when a retry can now carry new
   * authorization (a fresh token for `scope`, or Basic credentials not sent before), false when
   * retrying cannot help (no credentials for Basic, an unknown scheme, Basic already refused).
   */
  async answer(header: string | undefined, scope: string, signal?: AbortSignal): Promise<boolean> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    if (bearer) {
      this.scheme = 'bearer';
      // A cached token that earned a 401 is expired, revoked or too narrow: never reuse it.
      this.tokens.delete(scope);
      let pending = this.fetching.get(scope);
      if (!pending) {
        pending = this.fetchToken(bearer, scope, signal).finally(() => this.fetching.delete(scope));
        this.fetching.set(scope, pending);
      }
      this.tokens.set(scope, await pending);
      return true;
    }
    if (challenges.some((c) => c.scheme === 'basic') && this.basic && this.scheme !== 'basic') {
      this.scheme = 'basic';
      return true;
    }
    return false;
  }

  /** Fetches a token from the challenge's realm for our scope and any scope the registry named. */
  private async fetchToken(
    challenge: AuthChallenge,
    scope: string,
    signal?: AbortSignal,
  ): Promise<CachedToken> {
    const realm = this.checkedRealm(challenge.params.realm ?? '');
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    const scopes = new Set([scope, ...(challenge.params.scope?.split(' ').filter(Boolean) ?? [])]);
    for (const s of scopes) realm.searchParams.append('scope', s);
    const req = {
      operation: 'oci.token',
      method: 'GET' as const,
      url: realm,
      // Anonymous token requests are legitimate: public repositories hand out pull tokens.
      headers: { accept: 'application/json', ...(this.basic ? { authorization: this.basic } : {}) },
      signal,
    };
    const startedAt = this.now();
    const res = await this.transport.send(req);
    if (res.status >= 400) throw this.transport.failure(req, res, 'registry token request');
    const parsed = TokenResponseSchema.safeParse(safeJson(res.body));
    if (!parsed.success) {
      throw new SchemaMismatchError('registry token request: the answer has no token', {
        ...this.transport.context(req),
        status: res.status,
      });
    }
    const token = parsed.data.token ?? parsed.data.access_token ?? '';
    this.transport.secrets.add(token);
    const ttlMs = (parsed.data.expires_in ?? DEFAULT_TOKEN_TTL_SECONDS) * 1000;
    // Renew a little early (10 %, at most 10 s), so a token does not expire in flight.
    return { header: `Bearer ${token}`, expiresAt: startedAt + ttlMs - Math.min(10_000, ttlMs / 10) };
  }

  /** The realm as a URL, or a RealmRefusedError when the credentials must not go there. */
  private checkedRealm(raw: string): URL {
    const probe = { operation: 'oci.token', method: 'GET' as const, url: this.registry, headers: {} };
    const context = this.transport.context(probe);
    let realm: URL;
    try {
      realm = new URL(raw);
    } catch {
      throw new RealmRefusedError(
        'registry token realm is not a URL; berth sends no credentials there',
        context,
      );
    }
    const refusal = realmRefusal(realm, this.registry, KNOWN_TOKEN_HOSTS[context.provider]);
    if (refusal) throw new RealmRefusedError(refusal, this.transport.context({ ...probe, url: realm }));
    return realm;
  }
}
