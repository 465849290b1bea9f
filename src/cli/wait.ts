import { CliError } from './errors.ts';
import { humanDuration, parseDuration } from './format/time.ts';
import type { Io } from './io.ts';

/** One look at what is being waited for: done (with a value), failed (with why), or still going. */
export type Poll<T> = { done: T } | { failed: string } | { waiting: string };

/** A progress line on stderr: rewritten in place on a terminal, one line per change elsewhere. */
export class ProgressLine {
  private readonly io: Io;
  private last = '';
  private shown = false;

  constructor(io: Io) {
    this.io = io;
  }

  /** Shows `text` (with the elapsed time on a terminal). */
  update(text: string, elapsedMs: number): void {
    if (this.io.stderrIsTTY) {
      // One terminal line: a wrapped line could not be cleared with \r.
      const full = `${text} (${humanDuration(elapsedMs)})`;
      const width = (this.io.errColumns ?? 80) - 1;
      const line = full.length > width ? `${full.slice(0, width - 1)}…` : full;
      this.io.err(`\r\u001b[K${this.io.paintErr(line, 'dim')}`);
      this.shown = true;
    } else if (text !== this.last) {
      this.io.err(`${text}\n`);
    }
    this.last = text;
  }

  /** Clears the line on a terminal, so results start on a clean line. */
  clear(): void {
    if (this.shown) this.io.err('\r\u001b[K');
    this.shown = false;
  }
}

/**
 * Polls until `poll` says done or failed, the timeout passes, or Ctrl-C. Transient read failures
 * count as "still waiting" (the API server may restart); their text shows in the progress line.
 */
export async function waitFor<T>(
  io: Io,
  poll: () => Promise<Poll<T>>,
  options: { timeoutMs: number; intervalMs?: number; what: string; signal: AbortSignal },
): Promise<T> {
  const started = io.now();
  const progress = new ProgressLine(io);
  let last = '';
  try {
    for (;;) {
      let state: Poll<T>;
      try {
        state = await poll();
      } catch (err) {
        if (err instanceof CliError) throw err;
        state = { waiting: `retrying: ${(err as Error).message}` };
      }
      if ('done' in state) return state.done;
      if ('failed' in state) throw new CliError(state.failed);
      last = state.waiting;
      const elapsed = io.now() - started;
      if (elapsed >= options.timeoutMs) {
        throw new CliError(
          `timed out after ${humanDuration(options.timeoutMs)} waiting for ${options.what}; last seen: ${last}`,
        );
      }
      progress.update(state.waiting, elapsed);
      await io.sleep(options.intervalMs ?? 500, options.signal);
    }
  } finally {
    progress.clear();
  }
}

/** Parses `--timeout` as kubectl does (`30s`, `5m`, `1h`, `1m30s`, or plain seconds). */
export function parseTimeout(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new CliError(`--timeout ${text}: expected a duration such as 30s, 5m or 1h`, 2);
  }
  return ms;
}
