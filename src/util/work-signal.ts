import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The abort signal of the work in progress (a reconcile), carried through the async call chain
 * like Go's context. Provider clients sit behind a contract (`clients/provider.ts`) whose dozens of
 * methods would otherwise each need a signal parameter; the HTTP transports pick it up here, so
 * `--reconcile-timeout` and shutdown bound every provider request a reconcile makes.
 */
const storage = new AsyncLocalStorage<AbortSignal>();

/** Runs `work` with `signal` as the ambient abort signal of everything it calls. */
export function withWorkSignal<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  return storage.run(signal, work);
}

/** The request's own signal, else the ambient one of the work in progress, else undefined. */
export function workSignal(own?: AbortSignal): AbortSignal | undefined {
  return own ?? storage.getStore();
}
