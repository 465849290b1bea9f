/**
 * Scrubbing of secrets from anything that may reach a log line, an event, a status message or an
 * error: known secret values (registered when the client learns them), bearer/basic credentials,
 * and query strings (which can carry tokens).
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  private readonly capacity: number;
  /** Long-lived secrets per owner (a provider client) and slot (`apiKey`, `iamToken`). */
  private readonly heldBy = new WeakMap<object, Map<string, string>>();
  /** The owners of {@link heldBy}, weakly: a client the factory dropped takes its secrets along. */
  private readonly holders = new Set<WeakRef<object>>();

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

  /**
   * Remembers a long-lived secret (an API key, the provider credentials' password, a Selectel IAM
   * token) for as long as `owner` lives, apart from the capped memory of issued credentials: 20,000
   * rotations must not evict the API key every call carries. One value per owner and slot; a new
   * one (a renewed IAM token) moves the old one to the capped memory. Bounded by the live provider
   * clients, which is about the number of registries.
   */
  hold(owner: object, slot: string, secret: string | undefined): void {
    if (!secret || secret.length < 6) return;
    let slots = this.heldBy.get(owner);
    if (!slots) {
      slots = new Map();
      this.heldBy.set(owner, slots);
      this.holders.add(new WeakRef(owner));
    }
    const previous = slots.get(slot);
    if (previous !== undefined && previous !== secret) this.add(previous);
    slots.set(slot, secret);
  }

  /** How many issued secrets are remembered (held ones not counted). */
  get size(): number {
    return this.secrets.size;
  }

  /** The text with every known secret, credential header value and query string replaced. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.held()) out = out.split(secret).join('[redacted]');
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]');
    return out
      .replace(/\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]')
      .replace(
        /("?(?:password|token|secret|access_token|refresh_token|api_key)"?\s*[:=]\s*"?)[^",\s}]+/gi,
        '$1[redacted]',
      );
  }

  /**
   * The held secrets of owners still alive. A gone owner's secrets go with it: no client of berth
   * can put them into a message any more, and a new client for the same credentials holds them again.
   */
  private *held(): Generator<string> {
    for (const ref of this.holders) {
      const owner = ref.deref();
      if (owner === undefined) {
        this.holders.delete(ref);
        continue;
      }
      yield* this.heldBy.get(owner)?.values() ?? [];
    }
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
