import { subscribe } from 'node:diagnostics_channel';

/**
 * Requests that went out on a pooled connection (one that had carried an earlier request) and
 * have no response head yet. undici says which socket a request was written to only through its
 * diagnostics channels, so they are followed here; weak sets, so nothing is kept alive by them.
 */
const onReusedConnection = new WeakSet<object>();
/** How many requests each connection carried so far. */
const carried = new WeakMap<object, number>();
/** Errors of such requests that say the server closed or reset the connection. */
const staleErrors = new WeakSet<object>();

/**
 * How undici reports a connection the server closed: `SocketError: other side closed`
 * (UND_ERR_SOCKET) when its FIN arrives, ECONNRESET or EPIPE when the request ran into the reset.
 */
const PEER_CLOSED = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

subscribe('undici:client:sendHeaders', (message) => {
  const { request, socket } = message as { request: object; socket: object };
  const before = carried.get(socket) ?? 0;
  carried.set(socket, before + 1);
  if (before > 0) onReusedConnection.add(request);
});
subscribe('undici:request:headers', (message) => {
  onReusedConnection.delete((message as { request: object }).request);
});
subscribe('undici:request:error', (message) => {
  const { request, error } = message as { request: object; error: unknown };
  const code = (error as { code?: unknown } | undefined)?.code;
  if (onReusedConnection.has(request) && typeof code === 'string' && PEER_CLOSED.has(code))
    staleErrors.add(error as object);
});

/**
 * True when `err` is undici's report that the server closed or reset a pooled connection this
 * request was written to, before the response head arrived: the mark of a connection the server
 * dropped as idle just as berth reused it. Whether the server read the request is unknown.
 */
export function closedOnReuse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && staleErrors.has(err);
}

/** How many more times one call may be sent again after {@link closedOnReuse}: 1, or 0 when unsafe. */
export interface StaleReplays {
  left: number;
}

/**
 * Runs `send` (one undici request, up to its response head); when it failed with
 * {@link closedOnReuse} and `replays` has one left, tells `onStale` and runs it once more at once:
 * undici has dropped that connection, and a request the server never answered owes no backoff.
 * The budget spans a call's attempts, so a call is sent again this way at most once. Any other
 * failure, or one past the budget, is thrown as it came.
 */
export async function replayOnStaleConnection<T>(
  send: () => Promise<T>,
  replays: StaleReplays,
  onStale: (err: unknown) => void,
): Promise<T> {
  try {
    return await send();
  } catch (err) {
    if (replays.left <= 0 || !closedOnReuse(err)) throw err;
    replays.left--;
    onStale(err);
    return await send();
  }
}
