/**
 * A first-in first-out list with O(1) push and shift. `Array.prototype.shift` moves every
 * remaining element, which at thousands of ready keys made each take cost as much as the burst.
 */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1_024 && this.head * 2 >= this.items.length) {
      // Drop the consumed half once it outweighs the rest: amortised O(1), memory bounded by the live part.
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/**
 * The namespace of a work-queue key (`namespace/name`, see resource.ts keyOf); cluster-scoped
 * keys (`/name`) and keys without a slash share the empty namespace.
 */
export function namespaceOfKey(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

/**
 * The ready keys of a work queue, served round-robin by namespace: each namespace with ready keys
 * has a FIFO of its own, and a take serves the namespace whose turn it is and moves it to the back
 * of the line. A tenant that makes 2,000 keys ready at once (a loop, or one annotation on every
 * token) gets one take per turn; every other namespace waits at most one take per namespace
 * ahead of it, not behind the whole burst. Work-conserving: one namespace alone gets every take.
 * Push and shift are O(1); an empty namespace leaves the map, so memory follows the ready keys.
 */
export class FairReadyKeys {
  private readonly byNamespace = new Map<string, Fifo<string>>();
  /** Namespaces with ready keys, in the order of their turns. */
  private turns = new Fifo<string>();
  private count = 0;

  /** Ready keys over all namespaces. */
  get size(): number {
    return this.count;
  }

  /** Namespaces that have ready keys. */
  get namespaces(): number {
    return this.byNamespace.size;
  }

  /** Appends a key to its namespace's FIFO; a namespace new to the line takes its turn last. */
  push(key: string): void {
    const namespace = namespaceOfKey(key);
    let keys = this.byNamespace.get(namespace);
    if (!keys) {
      keys = new Fifo<string>();
      this.byNamespace.set(namespace, keys);
      this.turns.push(namespace);
    }
    keys.push(key);
    this.count++;
  }

  /** The oldest key of the namespace whose turn it is, or undefined when nothing is ready. */
  shift(): string | undefined {
    const namespace = this.turns.shift();
    if (namespace === undefined) return undefined;
    const keys = this.byNamespace.get(namespace) as Fifo<string>;
    const key = keys.shift() as string;
    this.count--;
    if (keys.size > 0) this.turns.push(namespace);
    else this.byNamespace.delete(namespace);
    return key;
  }

  /** Drops every ready key (shutdown). */
  clear(): void {
    this.byNamespace.clear();
    this.turns = new Fifo<string>();
    this.count = 0;
  }
}
