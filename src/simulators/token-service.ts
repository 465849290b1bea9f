import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { ScopeAction } from '../clients/provider.ts';
import type { RegistryAccessVerifier } from './core/registry-access.ts';

/**
 * The host's clock, read past the global Date: a provider's token service and its registry share
 * one clock, and this service signs for the registry binary (src/dev/registry.ts), which checks
 * `nbf` and `exp` on the host's. Tests that shift Date in this process to move berth's clock to
 * another hour (docs/adr/019-shifted-clock-tests.md) must not move the tokens' times with it.
 */
export function hostClock(): number {
  return performance.timeOrigin + performance.now();
}

/** Options for {@link RegistryTokenService}. */
export interface RegistryTokenServiceOptions {
  /** Checked in order; the first that recognises a login decides. */
  verifiers: RegistryAccessVerifier[];
  /** `iss` of issued tokens; the registry's `auth.token.issuer` must match. */
  issuer?: string;
  /** `aud` of issued tokens; the registry's `auth.token.service` must match. */
  service?: string;
  /** Lifetime of a registry bearer token; short, so a revoked credential stops working soon. */
  tokenTtlSeconds?: number;
  /**
   * The clock of the registry that checks the tokens, in ms since the epoch: by default the host's
   * (see {@link hostClock}), which the registry, a separate process on this host, reads.
   */
  now?: () => number;
}

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** The `sub` of the simulators' own tokens; a docker login can never have it (no verifier knows it). */
const INTERNAL_SUBJECT = 'berth-simulators-internal';

/** One entry of a token's `access` claim. */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/**
 * The Docker registry token service (distribution's bearer-token auth), backed by the provider
 * simulators: a `docker login` with a credential a simulator issued gets a short-lived RS256 JWT
 * (signed with jose) granting only the actions that credential's scopes allow. The real CNCF
 * registry trusts the service through a JWKS file.
 */
export class RegistryTokenService {
  readonly issuer: string;
  readonly service: string;
  private readonly options: RegistryTokenServiceOptions;
  private readonly kid = randomUUID();
  private privateKey: SigningKey | undefined;
  private publicJwk: JWK | undefined;
  private servers: Server[] = [];
  private base = '';
  private port = 0;
  /** Token requests answered, for tests: user, requested scopes, granted access. */
  readonly log: { username: string; granted: Access[]; status: number }[] = [];

  constructor(options: RegistryTokenServiceOptions) {
    this.options = options;
    this.issuer = options.issuer ?? 'berth-simulator';
    this.service = options.service ?? 'berth-registry';
  }

  /**
   * The realm URL the registry sends clients to. It names `localhost`, not an address: clients built
   * on go-containerregistry (crane) refuse realms that are private or loopback IP literals, as an
   * SSRF guard, but accept host names. So the service always listens on loopback too.
   */
  get realm(): string {
    return `http://localhost:${this.port}/token`;
  }

  /** The JWKS the registry verifies tokens with (`auth.token.jwks`). */
  get jwks(): { keys: JWK[] } {
    if (!this.publicJwk) throw new Error('token service not started');
    return { keys: [{ ...this.publicJwk, kid: this.kid, alg: 'RS256', use: 'sig' }] };
  }

  /**
   * Generates the signing key and listens on a free port of `host` (default loopback), and on the
   * same port of loopback, which the realm names.
   */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    const pair = await generateKeyPair('RS256', { extractable: true });
    this.privateKey = pair.privateKey;
    this.publicJwk = await exportJWK(pair.publicKey);
    const listen = async (at: number, address: string) => {
      const server = createServer((req, res) => void this.handle(req, res));
      await new Promise<void>((resolve) => server.listen(at, address, resolve));
      this.servers.push(server);
      return (server.address() as AddressInfo).port;
    };
    this.port = await listen(port, host);
    if (host !== '127.0.0.1') await listen(this.port, '127.0.0.1');
    this.base = `http://${host}:${this.port}`;
    return this.base;
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    for (const server of this.servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/token')
      return reply(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] });
    const login = basicCredentials(req.headers.authorization);
    const allowed = login ? this.verify(login.username, login.password) : undefined;
    if (!login || !allowed) {
      this.log.push({ username: login?.username ?? '', granted: [], status: 401 });
      return reply(
        res,
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
        { 'www-authenticate': `Basic realm="${this.realm}"` },
      );
    }
    const granted: Access[] = [];
    for (const scope of url.searchParams.getAll('scope')) {
      const [type, name, actions] = parseScope(scope);
      if (type !== 'repository' || !name) continue;
      const permitted = allowed(name);
      const wanted = (actions ?? '').split(',').filter(Boolean);
      // "*" in docker scopes means every action; push implies the pull a client needs to upload layers.
      const ok = wanted.filter((a) =>
        a === '*' ? permitted.includes('delete') : permitted.includes(a as ScopeAction),
      );
      if (ok.length > 0) granted.push({ type, name, actions: ok });
    }
    const { token, now, ttl } = await this.sign(login.username, granted);
    this.log.push({ username: login.username, granted, status: 200 });
    reply(res, 200, {
      token,
      access_token: token,
      expires_in: ttl,
      issued_at: new Date(now * 1000).toISOString(),
    });
  }

  /**
   * A token for the simulators' own registry client (the provider's backend, which may do
   * anything in its registry): exactly the access asked for, no login, not in {@link log}.
   */
  async issueInternal(access: Access): Promise<string> {
    return (await this.sign(INTERNAL_SUBJECT, [access])).token;
  }

  private async sign(
    subject: string,
    access: Access[],
  ): Promise<{ token: string; now: number; ttl: number }> {
    const now = Math.floor((this.options.now ?? hostClock)() / 1000);
    const ttl = this.options.tokenTtlSeconds ?? 60;
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.service)
      .setSubject(subject)
      .setIssuedAt(now)
      .setNotBefore(now - 1)
      .setExpirationTime(now + ttl)
      .setJti(randomUUID())
      .sign(this.privateKey as SigningKey);
    return { token, now, ttl };
  }

  private verify(username: string, password: string): ((repository: string) => ScopeAction[]) | undefined {
    for (const verifier of this.options.verifiers) {
      const allowed = verifier.verify(username, password);
      if (allowed) return allowed;
    }
    return undefined;
  }
}

function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** `repository:shop/app:pull,push` → [type, name, actions]; names may contain `:` only before the last one. */
function parseScope(scope: string): [string, string | undefined, string | undefined] {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first === -1 || last === first) return [scope, undefined, undefined];
  return [scope.slice(0, first), scope.slice(first + 1, last), scope.slice(last + 1)];
}

function reply(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
