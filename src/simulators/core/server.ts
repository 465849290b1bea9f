import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FaultInjector, type FaultKind, type FaultRates, FaultInjector as Injector } from './faults.ts';
import type { LimitReq } from './limit-req.ts';

/** What a route handler sees. */
export interface SimRequest {
  method: string;
  /** Path without query, URL-decoded per segment into `params`. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body, or undefined. */
  body: unknown;
  rawBody: string;
}

/** What a route handler returns. */
export interface SimResponse {
  status: number;
  /** Sent as JSON, unless it is a string and `headers` name another content type: then as is. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A route handler; throwing a {@link SimError} answers with its status and body. */
export type SimHandler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

/** An error answer from a handler, with the provider's error body. */
export class SimError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
  constructor(status: number, body: unknown, headers: Record<string, string> = {}) {
    super(`simulated ${status}`);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** One request as the simulator saw it, for tests and benchmarks. */
export interface LoggedRequest {
  method: string;
  path: string;
  route: string;
  status: number;
  fault?: FaultKind['kind'];
  at: number;
}

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  keys: string[];
  handler: SimHandler;
  /** Requests that create something: eligible for the lost-response fault. */
  creates: boolean;
  /** Skips the provider's authentication check (e.g. a token endpoint that does its own). */
  public: boolean;
}

/** Options for {@link SimServer}. */
export interface SimServerOptions {
  /** Checks authentication; returns an error answer to send, or undefined when allowed. */
  authenticate: (req: SimRequest) => SimResponse | undefined;
  /** The provider's error body for a status (used by faults and unknown routes). */
  errorBody: (status: number, message: string) => unknown;
  /** Path prefix of every route, e.g. `/api/v1`. */
  prefix?: string;
  seed?: number;
  /** A rate limit per client address in front of every route, as a provider's proxy has one. */
  rateLimit?: LimitReq | undefined;
}

/**
 * A tiny HTTP server for provider simulators: routing with `:params`, authentication, fault
 * injection (switchable at runtime, also through `POST /_sim/faults`), and a request log.
 */
export class SimServer {
  readonly faults: FaultInjector;
  readonly log: LoggedRequest[] = [];
  /** Requests as they arrive, before latency, faults or handling: to act while one is in flight. */
  readonly received: { method: string; path: string; at: number }[] = [];
  private readonly routes: Route[] = [];
  /**
   * The proxy's rate limit per client address (undefined: none), checked before routing and
   * authentication as nginx does; refusals answer 429 and are logged without a `fault`.
   */
  rateLimit: LimitReq | undefined;
  private readonly options: SimServerOptions;
  private server: Server | undefined;
  private base = '';

  constructor(options: SimServerOptions) {
    this.options = options;
    this.faults = new Injector(options.seed ?? 1);
    this.rateLimit = options.rateLimit;
  }

  /**
   * Registers a route; `pattern` uses `:name` segments, relative to the prefix. `:name+` takes one
   * or more segments (a nested repository name sent with a raw `/`).
   */
  route(
    method: string,
    pattern: string,
    handler: SimHandler,
    flags: { creates?: boolean; public?: boolean } = {},
  ): this {
    const keys: string[] = [];
    const full = (this.options.prefix ?? '') + pattern;
    const regex = new RegExp(
      `^${full
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\/:([A-Za-z]+)(\\\+)?/g, (_, key: string, many?: string) => {
          keys.push(key);
          return many ? '/(.+?)' : '/([^/]+)';
        })}/?$`,
    );
    this.routes.push({
      method,
      pattern: full,
      regex,
      keys,
      handler,
      creates: flags.creates ?? false,
      public: flags.public ?? false,
    });
    return this;
  }

  /** Base URL once listening, e.g. `http://127.0.0.1:40123` (without the prefix). */
  get url(): string {
    return this.base;
  }

  /** Requests per route pattern (`GET /registries/:id`), for assertions. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const entry of this.log) out[entry.route] = (out[entry.route] ?? 0) + 1;
    return out;
  }

  /** Starts listening on a free loopback port (or the given one). */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(port, host, resolve));
    const address = this.server.address() as AddressInfo;
    this.base = `http://${host}:${address.port}`;
    return this.base;
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
    this.server = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    const rawBody = await readBody(req);
    this.received.push({ method, path: url.pathname, at: Date.now() });
    if (url.pathname === '/_sim/faults' && method === 'POST') return this.adminFaults(rawBody, res);

    const route = this.routes.find((r) => r.method === method && r.regex.test(url.pathname));
    const match = route?.regex.exec(url.pathname);
    const params: Record<string, string> = {};
    route?.keys.forEach((key, i) => {
      params[key] = decodeURIComponent(match?.[i + 1] ?? '');
    });
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const simReq: SimRequest = {
      method,
      path: url.pathname,
      params,
      query: url.searchParams,
      headers: req.headers,
      body,
      rawBody,
    };
    const record = (status: number, fault?: FaultKind['kind']) =>
      this.log.push({
        method,
        path: url.pathname,
        route: `${method} ${route?.pattern ?? url.pathname}`,
        status,
        at: Date.now(),
        ...(fault ? { fault } : {}),
      });

    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    if (this.rateLimit && !this.rateLimit.admit(req.socket.remoteAddress ?? '')) {
      record(429);
      return send(res, { status: 429, body: this.options.errorBody(429, 'too many requests') });
    }
    if (!route) {
      record(404);
      return send(res, { status: 404, body: this.options.errorBody(404, 'no such endpoint') });
    }
    if (!route.public) {
      const denied = this.options.authenticate(simReq);
      if (denied) {
        record(denied.status);
        return send(res, denied);
      }
    }
    const fault = this.faults.pick(method, url.pathname, route.creates);
    if (fault && fault.kind !== 'loseResponse') {
      record(
        fault.kind === 'reset'
          ? 0
          : fault.kind === 'rateLimit'
            ? 429
            : fault.kind === 'malformed'
              ? 200
              : (fault.status ?? 503),
        fault.kind,
      );
      return this.answerFault(fault, res);
    }
    let answer: SimResponse;
    try {
      answer = await route.handler(simReq);
    } catch (err) {
      if (!(err instanceof SimError)) throw err;
      answer = { status: err.status, body: err.body, headers: err.headers };
    }
    if (fault?.kind === 'loseResponse') {
      record(0, 'loseResponse');
      res.socket?.destroy();
      return;
    }
    record(answer.status);
    send(res, answer);
  }

  private answerFault(fault: FaultKind, res: ServerResponse): void {
    switch (fault.kind) {
      case 'reset':
        res.socket?.destroy();
        return;
      case 'rateLimit':
        send(res, {
          status: 429,
          body: this.options.errorBody(429, 'too many requests'),
          headers: fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
        });
        return;
      case 'serverError': {
        const status = fault.status ?? 503;
        send(res, { status, body: this.options.errorBody(status, 'simulated server error') });
        return;
      }
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"items": [ {"truncated": ');
        return;
      case 'loseResponse':
        return;
    }
  }

  private adminFaults(rawBody: string, res: ServerResponse): void {
    try {
      const rates = JSON.parse(rawBody || '{}') as Partial<FaultRates>;
      this.faults.setRates(rates);
      send(res, { status: 200, body: this.faults.currentRates });
    } catch {
      send(res, { status: 400, body: { error: 'body must be JSON fault rates' } });
    }
  }
}

function send(res: ServerResponse, answer: SimResponse): void {
  const headers = { ...answer.headers };
  if (answer.body === undefined) {
    res.writeHead(answer.status, headers);
    res.end();
    return;
  }
  // A handler that names a non-JSON content type (a crash page in HTML, say) sends its text as is.
  const type = Object.entries(headers).find(([key]) => key.toLowerCase() === 'content-type')?.[1];
  if (typeof answer.body === 'string' && type !== undefined && !/json/i.test(type)) {
    res.writeHead(answer.status, headers);
    res.end(answer.body);
    return;
  }
  res.writeHead(answer.status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(answer.body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
