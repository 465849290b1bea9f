import type { Logger } from 'pino';
import { type Dispatcher, request } from 'undici';
import type { z } from 'zod';
import { formatPath } from '../../controllers/runtime/validation.ts';
import type { OperatorMetrics } from '../../metrics.ts';
import { workSignal } from '../../util/work-signal.ts';
import { sharedAgent } from './agent.ts';
import { formatBytes, RESPONSE_LIMITS, readLimited } from './body.ts';
import {
  ConnectionError,
  errorForStatus,
  errorSnippet,
  type ProviderErrorContext,
  type ProviderName,
  ResponseTooLargeError,
  redirectError,
  SchemaMismatchError,
  TimeoutError,
} from './errors.ts';
import { flattenHeaders } from './headers.ts';
import { PROVIDER_LIMITS, ProviderLimiter, type ProviderLimits } from './limiter.ts';
import { globalRedactor, type Redactor, stripQuery } from './redact.ts';
import {
  DEFAULT_RETRY,
  isRetryableStatus,
  parseRetryAfter,
  type RetryOptions,
  withRetries,
} from './retry.ts';
import { closedOnReuse, replayOnStaleConnection, type StaleReplays } from './stale.ts';

/** HTTP methods the provider APIs use. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a provider's error body says, extracted by that provider's parser. */
export interface ErrorDetails {
  message?: string | undefined;
  code?: string | undefined;
}

/** Options for {@link HttpClient}. */
export interface HttpClientOptions {
  provider: ProviderName;
  /** Base URL without trailing slash, e.g. `https://api.ionos.com/containerregistries`. */
  baseUrl: string;
  /** Headers that authenticate a request (called per attempt, so renewed tokens are picked up). */
  auth: () => Promise<Record<string, string>> | Record<string, string>;
  /** Extracts message and code from an error body (each provider has its own shape). */
  parseError?: (body: unknown) => ErrorDetails;
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  /** Client-side rate limit; defaults to the provider's published one ({@link PROVIDER_LIMITS}). */
  limits?: ProviderLimits;
  dispatcher?: Dispatcher;
  metrics?: OperatorMetrics | undefined;
  logger?: Pick<Logger, 'debug' | 'warn'> | undefined;
  redactor?: Redactor;
  /** Injected for tests; defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected for tests: the wall clock that an HTTP-date Retry-After is measured against. */
  now?: () => number;
}

/** The transport options every provider factory accepts and hands to its {@link HttpClient}. */
export interface TransportOptions {
  dispatcher?: Dispatcher | undefined;
  limits?: ProviderLimits | undefined;
  retry?: Partial<RetryOptions> | undefined;
  timeoutMs?: number | undefined;
  metrics?: OperatorMetrics | undefined;
  logger?: Pick<Logger, 'debug' | 'warn'> | undefined;
  redactor?: Redactor | undefined;
  /** Injected for tests: observes retry delays without waiting. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
}

/** One request. */
export interface RequestOptions<S extends z.ZodType | undefined> {
  /** Logical name for metrics and errors, e.g. `tokens.create`. */
  operation: string;
  method: HttpMethod;
  /** Path below the base URL, already encoded (use {@link encodePath}). */
  path: string;
  /** The base URL of this request when it is not the client's (an API whose versions live apart). */
  baseUrl?: string | undefined;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Schema of the response body; omit when there is none (204, HEAD). */
  schema?: S;
  /**
   * Safe to send twice? Defaults to true for GET, HEAD, PUT and DELETE, false for POST and PATCH.
   * Requests that issue a credential must stay false: a retried create could mint a second secret.
   */
  idempotent?: boolean;
  /**
   * For a request that is not idempotent: may it go out once more, at once, when the server
   * closed the pooled connection it was written to before answering (a connection dropped as
   * idle)? Idempotent requests always may. Only for a create under a name berth recorded first,
   * that the provider refuses a second time (409 or "exists"): a server that did act on the first
   * copy then answers the second with a conflict, which the caller already resolves by name.
   */
  retryOnStaleConnection?: boolean;
  /**
   * Statuses that end the request at once although they are usually retried: for a call where
   * such an answer can mean something that repeating will not fix, which the caller looks into
   * before trying again (Quay's 500 for a grant to a repository that does not exist).
   */
  finalStatuses?: readonly number[];
  /** Aborts the request (e.g. the reconcile deadline). */
  signal?: AbortSignal;
  /** Largest successful body to read (default {@link RESPONSE_LIMITS}.json); more fails the call. */
  maxResponseBytes?: number;
}

/** A parsed response. */
export interface HttpResponse<T> {
  status: number;
  data: T;
  headers: Record<string, string>;
}

/** Encodes each interpolated value of a path, so `dev/tests` becomes `dev%2Ftests`. */
export function encodePath(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce(
    (out, part, i) => out + part + (i < values.length ? encodeURIComponent(String(values[i])) : ''),
    '',
  );
}

/**
 * The one HTTP client of all provider adapters (undici): a timeout on every request, retries with
 * backoff and Retry-After only for requests safe to repeat, one immediate resend after a stale
 * pooled connection (stale.ts), typed errors, zod-parsed bodies, redaction, a per-provider rate
 * limit and concurrency cap, keep-alive pooling and metrics.
 */
export class HttpClient {
  private readonly options: HttpClientOptions;
  private readonly retry: RetryOptions;
  private readonly limiter: ProviderLimiter;
  private readonly dispatcher: Dispatcher;
  private readonly redactor: Redactor;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(options: HttpClientOptions) {
    this.options = options;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.limiter = new ProviderLimiter(options.limits ?? PROVIDER_LIMITS[options.provider]);
    this.dispatcher = options.dispatcher ?? sharedAgent();
    this.redactor = options.redactor ?? globalRedactor;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  /** The redactor this client scrubs messages with; adapters register issued secrets here. */
  get secrets(): Redactor {
    return this.redactor;
  }

  /** Sends a request, retrying where safe; resolves with the parsed body or throws a ProviderError. */
  async request<S extends z.ZodType | undefined = undefined>(
    options: RequestOptions<S>,
  ): Promise<HttpResponse<S extends z.ZodType ? z.infer<S> : undefined>> {
    const signal = workSignal(options.signal);
    const req = signal ? { ...options, signal } : options;
    const idempotent = isIdempotent(req);
    const replays: StaleReplays = { left: mayReplay(req) ? 1 : 0 };
    const started = performance.now();
    const { provider } = this.options;
    try {
      return await withRetries({
        attempt: () => this.limiter.run(() => this.once(req, replays)),
        verdict: (outcome) => {
          if (!('error' in outcome)) return { retry: false };
          const err = outcome.error;
          const status = (err as { context?: ProviderErrorContext }).context?.status;
          const transient =
            err instanceof ConnectionError ||
            err instanceof TimeoutError ||
            (status !== undefined && isRetryableStatus(status) && !req.finalStatuses?.includes(status));
          return {
            retry: idempotent && transient,
            retryAfterMs: (err as { retryAfterMs?: number }).retryAfterMs,
            status,
          };
        },
        policy: this.retry,
        sleep: this.sleep,
        signal: req.signal,
        onRetry: ({ attempt, delayMs, status }) =>
          this.options.logger?.debug(
            { provider, operation: req.operation, status, attempt, delayMs },
            'retrying provider request',
          ),
      });
    } finally {
      this.options.metrics?.providerRequestDuration.observe(
        { provider, operation: req.operation },
        (performance.now() - started) / 1000,
      );
    }
  }

  private async once<S extends z.ZodType | undefined>(
    req: RequestOptions<S>,
    replays: StaleReplays,
  ): Promise<HttpResponse<S extends z.ZodType ? z.infer<S> : undefined>> {
    const { provider } = this.options;
    const context: ProviderErrorContext = {
      provider,
      operation: req.operation,
      method: req.method,
      path: this.redactor.redact(stripQuery(req.path)),
    };
    const url = new URL((req.baseUrl ?? this.options.baseUrl) + req.path);
    for (const [k, v] of Object.entries(req.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(await this.options.auth()),
      ...req.headers,
    };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] ??= 'application/json';
    }
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
    const count = (code: string) =>
      this.options.metrics?.providerRequests.inc({ provider, operation: req.operation, code });

    const limit = req.maxResponseBytes ?? RESPONSE_LIMITS.json;
    let res: Dispatcher.ResponseData;
    let bytes: Buffer | undefined;
    try {
      res = await replayOnStaleConnection(
        () =>
          request(url, {
            method: req.method,
            headers,
            body: body ?? null,
            signal,
            dispatcher: this.dispatcher,
          }),
        replays,
        () => {
          // Its own code, not connection_error: the request was not lost, only sent again.
          count('stale_connection');
          this.options.logger?.debug(
            { provider, operation: req.operation },
            'the server closed an idle connection as it was reused; sending the request again',
          );
        },
      );
      const length = res.headers['content-length'];
      if (req.method === 'HEAD') {
        await res.body.dump();
        bytes = Buffer.alloc(0);
      } else if (res.statusCode >= 300)
        bytes = await readLimited(res.body, length, RESPONSE_LIMITS.errorBody, 'truncate');
      else bytes = await readLimited(res.body, length, limit, 'fail');
    } catch (err) {
      if (timeout.aborted) {
        count('timeout');
        throw new TimeoutError(`${provider} ${req.operation}: no response within the timeout`, context, {
          cause: err,
        });
      }
      count('connection_error');
      const reason = this.redactor.redact((err as Error).message ?? String(err));
      const what =
        closedOnReuse(err) && !mayReplay(req)
          ? `the server closed the connection before answering (${reason}); not sent again, as ` +
            'repeating this request is not safe'
          : `connection failed (${reason})`;
      throw new ConnectionError(`${provider} ${req.operation}: ${what}`, context);
    }
    const status = res.statusCode;
    count(String(status));
    const responseHeaders = flattenHeaders(res.headers);
    context.status = status;
    const requestId = responseHeaders['x-request-id'] ?? responseHeaders['request-id'];
    if (requestId) context.requestId = requestId;
    if (bytes === undefined) {
      throw new ResponseTooLargeError(
        `${provider} ${req.operation}: the response is larger than ${formatBytes(limit)}, the most berth ` +
          'reads for this call; it stopped reading and closed the connection',
        context,
      );
    }
    const text = bytes.toString('utf8');
    if (status >= 300 && status < 400) {
      const what = `${provider} ${req.operation}`;
      throw redirectError(what, status, responseHeaders.location, url, context);
    }

    if (status >= 400) {
      const details = this.options.parseError?.(safeJson(text)) ?? {};
      if (details.code) context.code = details.code;
      const detail = details.message ? `: ${errorSnippet(details.message, this.redactor)}` : '';
      const message = `${provider} ${req.operation} failed with HTTP ${status}${detail}`;
      const retryAfterMs = parseRetryAfter(responseHeaders['retry-after'], this.now());
      throw errorForStatus(status, message, context, retryAfterMs);
    }

    if (!req.schema) return { status, data: undefined as never, headers: responseHeaders };
    const json = safeJson(text);
    const parsed = req.schema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${formatPath(i.path)}: ${i.message}`)
        .join('; ');
      throw new SchemaMismatchError(
        `${provider} ${req.operation}: unexpected response body (${where || 'not JSON'})`,
        context,
      );
    }
    return { status, data: parsed.data as never, headers: responseHeaders };
  }
}

/** Safe to send twice: as declared, else by method (GET, HEAD, PUT and DELETE are). */
function isIdempotent(req: RequestOptions<z.ZodType | undefined>): boolean {
  return req.idempotent ?? ['GET', 'HEAD', 'PUT', 'DELETE'].includes(req.method);
}

/** May go out again when a reused connection was closed before the answer (see stale.ts). */
function mayReplay(req: RequestOptions<z.ZodType | undefined>): boolean {
  return isIdempotent(req) || req.retryOnStaleConnection === true;
}

function safeJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
