/**
 * What a simulator keeps beside the registry it views: push times, which the registry does not
 * record, and an order for its reads, so an older view is never applied over a newer one.
 */
import { RegistryClient } from './registry-client.ts';
import { RegistryView } from './registry-view.ts';

/** How the simulators reach the registry behind them. */
export interface AttachRegistryOptions {
  /** `ADDRESS:PORT` of the registry (plain HTTP). */
  host: string;
  /** Its filesystem storage root, when on this machine (finds untagged manifests; see RegistryView). */
  storageDir?: string | undefined;
  /** Signs a token with the given access; omit for a registry without auth. */
  authorize?: ConstructorParameters<typeof RegistryClient>[1];
}

/** A view over the registry from attach options. */
export function registryViewFor(options: AttachRegistryOptions): RegistryView {
  return new RegistryView(new RegistryClient(options.host, options.authorize), {
    storageDir: options.storageDir,
  });
}

/**
 * When each manifest of each registry repository was pushed, on the simulator's clock: the first
 * time the simulator saw it, unless a test set another time ({@link set}) to make an image older.
 */
export class PushTimes {
  private readonly times = new Map<string, number>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** The push time of a digest, recording now as its first sighting when it has none. */
  seen(repository: string, digest: string): number {
    const key = `${repository}@${digest}`;
    let at = this.times.get(key);
    if (at === undefined) {
      at = this.now();
      this.times.set(key, at);
    }
    return at;
  }

  /** Sets a digest's push time (before or after it is first seen). */
  set(repository: string, digest: string, at: number): void {
    this.times.set(`${repository}@${digest}`, at);
  }

  /** The recorded push time, if any. */
  get(repository: string, digest: string): number | undefined {
    return this.times.get(`${repository}@${digest}`);
  }
}

/** Runs tasks one after another per key (a registry repository), in the order they were asked. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `task` once every earlier task of `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
