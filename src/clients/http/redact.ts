/**
 * Scrubbing of secrets from anything that may reach a log line, an event, a status message or an
 * error: known secret values (registered when the client learns them), bearer/basic credentials,
 * and query strings (which can carry tokens).
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  private readonly capacity: number;

  /**
   * `capacity`: how many secrets are remembered, newest first. Every issued credential is added
   * and none is ever taken out, so without a bound a long-running operator's set (and the cost of
   * each redaction) grew with every rotation. The newest are the ones a message can still carry.
   */
  constructor(capacity = REDACTOR_CAPACITY) {
    this.capacity = capacity;
  }

  /** Remembers a value that must never be shown (a token password, an API key). Short values are ignored. */
  add(secret: string | undefined): void {
    if (!secret || secret.length < 6) return;
    this.secrets.delete(secret);
    this.secrets.add(secret);
    if (this.secrets.size > this.capacity) {
      const oldest = this.secrets.values().next().value;
      if (oldest !== undefined) this.secrets.delete(oldest);
    }
  }

  /** How many secrets are remembered. */
  get size(): number {
    return this.secrets.size;
  }

  /** The text with every known secret, credential header value and query string replaced. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]');
    return out
      .replace(/\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]')
      .replace(
        /("?(?:password|token|secret|access_token|refresh_token|api_key)"?\s*[:=]\s*"?)[^",\s}]+/gi,
        '$1[redacted]',
      );
  }
}

/** Secrets a Redactor remembers by default: twice the credentials of 5,000 tokens mid-rotation. */
export const REDACTOR_CAPACITY = 20_000;

/** A path without its query string. */
export function stripQuery(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

/** One Redactor for the whole process: secrets learned by any client are scrubbed everywhere. */
export const globalRedactor = new Redactor();
