/** Exit codes: 0 all good, 1 a problem was found or an action failed, 2 the command line was wrong. */
export const ExitCode = { Ok: 0, Problem: 1, Usage: 2, Interrupted: 130 } as const;

/** A failure to report as one `error: ...` line and an exit code; never a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode: number = ExitCode.Problem) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A mistake on the command line (exit code 2). */
export function usageError(message: string): CliError {
  return new CliError(message, ExitCode.Usage);
}

/** The HTTP status of a failed client-node call (ApiException.code), if it got an answer. */
export function httpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The API server's own words from a failed call: the `message` of its Status body. */
function statusMessage(err: unknown): string | undefined {
  const body = (err as { body?: unknown } | null)?.body;
  if (typeof body !== 'string') return undefined;
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

/** A network failure's code (ECONNREFUSED, ENOTFOUND, ...) anywhere in the cause chain. */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * One line about a failed Kubernetes call: what was attempted and why it failed, in words a person
 * can act on (RBAC refusals name the permission missing). Never includes a request body.
 */
export function describeKubeError(err: unknown, what: string, server?: string): string {
  const status = httpStatus(err);
  const said = statusMessage(err);
  if (status === 401)
    return `cannot ${what}: the API server did not accept your credentials (401); log in again or check the kubeconfig`;
  if (status === 403) return `cannot ${what}: forbidden by RBAC${said ? ` (${said})` : ''}`;
  if (status === 404) return `cannot ${what}: not found${said ? ` (${said})` : ''}`;
  if (status !== undefined) return `cannot ${what}: ${said ?? `the API server answered ${status}`}`;
  const code = networkCode(err);
  const where = server ? ` at ${server}` : '';
  if (code === 'ECONNREFUSED') return `cannot reach the Kubernetes API server${where}: connection refused`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `cannot reach the Kubernetes API server${where}: host not found`;
  if (code && /^(ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|UND_ERR)/.test(code))
    return `cannot reach the Kubernetes API server${where}: ${code}`;
  // undici's fetch says only "fetch failed"; what went wrong is in its cause (TLS, bad port, ...).
  const cause = (err as { cause?: { message?: unknown } } | null)?.cause?.message;
  if ((err as Error)?.message === 'fetch failed' && typeof cause === 'string')
    return `cannot reach the Kubernetes API server${where}: ${cause}`;
  return `cannot ${what}: ${(err as Error)?.message ?? String(err)}`;
}
