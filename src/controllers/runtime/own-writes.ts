/**
 * How long an unseen write of ours makes the cache suspect. A watch delivers events in order, so
 * our own write normally shows up within milliseconds; only a relist (after a 410 or a restart)
 * can skip the exact resourceVersion we wrote. Past this, the cache has long caught up.
 */
export const OWN_WRITE_EXPIRY_MS = 30_000;

interface Expected {
  resourceVersion: string;
  at: number;
}

/**
 * Read-your-writes for an informer cache (the "expectations" of kube-controller-manager's
 * ReplicaSet controller). A watch event can arrive after the next reconcile of the same key has
 * started: the event of a Secret we just wrote often overtakes the event of the status we wrote
 * a moment later. A reconcile that then reads its own object from the cache sees its status
 * before its last write and decides on it: it re-issues a credential under a name already in use,
 * or sweeps the credential its Secret holds. So the controller records the resourceVersion of
 * each of its writes, and until the informer has delivered that version (or {@link
 * OWN_WRITE_EXPIRY_MS} passed) the cache copy is not trusted and the object is read from the API.
 */
export class OwnWrites {
  private readonly expected = new Map<string, Expected>();
  private readonly expiryMs: number;

  constructor(expiryMs = OWN_WRITE_EXPIRY_MS) {
    this.expiryMs = expiryMs;
  }

  /** The controller wrote the object of `key`; the API server answered with `resourceVersion`. */
  wrote(key: string, resourceVersion: string | undefined, now: number): void {
    if (resourceVersion) this.expected.set(key, { resourceVersion, at: now });
  }

  /** The informer delivered this version of the object: the cache is at least as new as our write. */
  seen(key: string, resourceVersion: string | undefined): void {
    if (resourceVersion !== undefined && this.expected.get(key)?.resourceVersion === resourceVersion)
      this.expected.delete(key);
  }

  /**
   * A live read returned this version, which is at least as new as our last write: wait for the
   * cache to reach it instead, so that a cache that delivered our write but not what came after
   * it is still not trusted.
   */
  readLive(key: string, resourceVersion: string | undefined, now: number): void {
    if (this.expected.has(key)) this.wrote(key, resourceVersion, now);
  }

  /** The object is gone; nothing to wait for. */
  forget(key: string): void {
    this.expected.delete(key);
  }

  /** True when the cache may not hold our latest write of `key` yet, so it must be read live. */
  cacheBehind(key: string, cachedResourceVersion: string | undefined, now: number): boolean {
    const expected = this.expected.get(key);
    if (!expected) return false;
    if (expected.resourceVersion === cachedResourceVersion || now - expected.at > this.expiryMs) {
      this.expected.delete(key);
      return false;
    }
    return true;
  }

  /** Keys with an unseen write (for tests and metrics). */
  get size(): number {
    return this.expected.size;
  }
}
