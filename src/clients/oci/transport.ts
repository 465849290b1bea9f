import { Agent, type Dispatcher, request } from 'undici';
import { workSignal } from '../../util/work-signal.ts';
import { KEEP_ALIVE } from '../http/agent.ts';
import { formatBytes, RESPONSE_LIMITS, readLimited } from '../http/body.ts';
import type { TransportOptions } from '../http/client.ts';
import {
  ConnectionError,
  errorForStatus,
  errorSnippet,
  type ProviderError,
  type ProviderErrorContext,
  type ProviderName,
  ResponseTooLargeError,
  redirectError,
  TimeoutError,
} from '../http/errors.ts';
import { flattenHeaders } from '../http/headers.ts';
import { DEFAULT_LIMITS, ProviderLimiter } from '../http/limiter.ts';
import { globalRedactor, type Redactor, stripQuery } from '../http/redact.ts';
import {
  DEFAULT_RETRY,
  isRetryableStatus,
  parseRetryAfter,
  type RetryOptions,
  withRetries,
} from '../http/retry.ts';
import { replayOnStaleConnection, type StaleReplays } from '../http/stale.ts';
import { ErrorBodySchema } from './schemas.ts';

/** Options of {@link OciTransport}: the shared transport options plus whose registry this is. */
export interface OciTransportOptions extends TransportOptions {
  provider: ProviderName;
}

/** One request to a registry or its token realm. */
export interface OciRequest {
  /** Logical name for metrics and errors, e.g. `oci.manifests.delete`. */
  operation: string;
  method: 'GET' | 'HEAD' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
  /**
   * Largest successful body to read (default {@link RESPONSE_LIMITS}.registry; manifests ask for
   * .manifest); a larger one fails with ResponseTooLargeError. Error bodies are cut, not failed.
   */
  maxBytes?: number | undefined;
}

/** A response of any status, with its raw body (manifest digests are computed over the bytes). */
export interface OciResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The registry transport on undici: a timeout per attempt, retries with backoff and Retry-After
 * on 408/429/5xx and connection failures, one immediate resend after a stale pooled connection,
 * the provider limiter, metrics and redaction, as in `HttpClient`. Unlike `HttpClient` it hands
 * back every response (401 included, with its `WWW-Authenticate` challenge) and its bytes; callers
 * turn failures into typed errors with {@link OciTransport.failure}. All OCI methods are GET, HEAD
 * or DELETE, which are safe to repeat.
 */
export class OciTransport {
  private readonly options: OciTransportOptions;
  private readonly retry: RetryOptions;
  private readonly limiter: ProviderLimiter;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly redactor: Redactor;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: OciTransportOptions) {
    this.options = options;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.limiter = new ProviderLimiter(options.limits ?? DEFAULT_LIMITS);
    this.ownsDispatcher = !options.dispatcher;
    this.dispatcher = options.dispatcher ?? new Agent({ ...KEEP_ALIVE, connections: 16 });
    this.redactor = options.redactor ?? globalRedactor;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The redactor every message passes through; credentials and tokens are registered here. */
  get secrets(): Redactor {
    return this.redactor;
  }

  /** Sends `req`, retrying transient failures; resolves with the final response of any status. */
  async send(request: OciRequest): Promise<OciResponse> {
    const signal = workSignal(request.signal);
    const req = signal ? { ...request, signal } : request;
    const { provider, logger, metrics } = this.options;
    const started = performance.now();
    // Every OCI method is safe to repeat: one immediate resend after a stale pooled connection.
    const replays: StaleReplays = { left: 1 };
    try {
      // Every status comes back as a response (the caller decides what a 404 means); only
      // transport failures throw. Both kinds of transient failure are retried.
      return await withRetries({
        attempt: () => this.limiter.run(() => this.once(req, replays)),
        verdict: (outcome) => {
          if ('error' in outcome)
            return {
              retry: outcome.error instanceof ConnectionError || outcome.error instanceof TimeoutError,
            };
          const res = outcome.value;
          return {
            retry: isRetryableStatus(res.status),
            retryAfterMs: parseRetryAfter(res.headers['retry-after'], Date.now()),
            status: res.status,
          };
        },
        policy: this.retry,
        sleep: this.sleep,
        signal: req.signal,
        onRetry: ({ attempt, delayMs, status }) =>
          logger?.debug(
            { provider, operation: req.operation, status, attempt, delayMs },
            'retrying registry request',
          ),
      });
    } finally {
      metrics?.providerRequestDuration.observe(
        { provider, operation: req.operation },
        (performance.now() - started) / 1000,
      );
    }
  }

  /** The typed error for a failed response, with the registry's error code and redacted message. */
  failure(req: OciRequest, res: OciResponse, prefix?: string): ProviderError {
    const context = { ...this.context(req), status: res.status };
    const body = ErrorBodySchema.safeParse(safeJson(res.body));
    const first = body.success ? body.data.errors[0] : undefined;
    if (first?.code) context.code = first.code;
    const what = [first?.code, first?.message].filter(Boolean).join(': ');
    const detail = what ? `: ${errorSnippet(what, this.redactor)}` : '';
    const message = `${prefix ?? `${this.options.provider} ${req.operation}`} failed with HTTP ${res.status}${detail}`;
    return errorForStatus(
      res.status,
      message,
      context,
      parseRetryAfter(res.headers['retry-after'], Date.now()),
    );
  }

  /** Where a request went, for errors: method and path only, never the host's query or headers. */
  context(req: OciRequest): ProviderErrorContext {
    return {
      provider: this.options.provider,
      operation: req.operation,
      method: req.method,
      path: this.redactor.redact(stripQuery(req.url.pathname)),
    };
  }

  /** Closes the connection pool, if this transport created it. */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private async once(req: OciRequest, replays: StaleReplays): Promise<OciResponse> {
    const { provider, metrics } = this.options;
    const count = (code: string) =>
      metrics?.providerRequests.inc({ provider, operation: req.operation, code });
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
    const limit = req.maxBytes ?? RESPONSE_LIMITS.registry;
    let response: OciResponse;
    try {
      const res = await replayOnStaleConnection(
        () =>
          request(req.url, { method: req.method, headers: req.headers, signal, dispatcher: this.dispatcher }),
        replays,
        () => {
          count('stale_connection');
          this.options.logger?.debug(
            { provider, operation: req.operation },
            'the registry closed an idle connection as it was reused; sending the request again',
          );
        },
      );
      const length = res.headers['content-length'];
      let body: Buffer | undefined;
      if (req.method === 'HEAD') {
        await res.body.dump();
        body = Buffer.alloc(0);
      } else if (res.statusCode < 200 || res.statusCode >= 300)
        body = await readLimited(res.body, length, RESPONSE_LIMITS.errorBody, 'truncate');
      else body = await readLimited(res.body, length, limit, 'fail');
      count(String(res.statusCode));
      if (body === undefined) {
        throw new ResponseTooLargeError(
          `${provider} ${req.operation}: the response is larger than ${formatBytes(limit)}, the most berth ` +
            'reads for this call; it stopped reading and closed the connection',
          { ...this.context(req), status: res.statusCode },
        );
      }
      response = { status: res.statusCode, headers: flattenHeaders(res.headers), body };
    } catch (err) {
      if (err instanceof ResponseTooLargeError) throw err;
      const context = this.context(req);
      if (timeout.aborted) {
        count('timeout');
        throw new TimeoutError(`${provider} ${req.operation}: no response within the timeout`, context, {
          cause: err,
        });
      }
      count('connection_error');
      const reason = this.redactor.redact((err as Error).message ?? String(err));
      throw new ConnectionError(`${provider} ${req.operation}: connection failed (${reason})`, context);
    }
    if (response.status >= 300 && response.status < 400) {
      const what = `${provider} ${req.operation}`;
      throw redirectError(what, response.status, response.headers.location, req.url, this.context(req));
    }
    return response;
  }
}

/** The body as JSON, or undefined when it is empty or not JSON. */
export function safeJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
