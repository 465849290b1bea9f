import { colorEnabled, type Painter, painter } from './format/color.ts';

/** Where a command writes and what it knows about its terminal; one per run, injectable in tests. */
export interface Io {
  /** Results: tables, JSON, YAML. */
  out(text: string): void;
  /** Progress and diagnostics, never results (so `-o json | jq` stays clean). */
  err(text: string): void;
  /** Whether stdout / stderr are terminals (progress lines are rewritten in place only there). */
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Terminal widths of stdout and stderr, when they are terminals. */
  columns: number | undefined;
  errColumns: number | undefined;
  /** Colour for stdout and for stderr. */
  paint: Painter;
  paintErr: Painter;
  now(): number;
  /** Resolves after `ms`, or rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The process's own streams and environment. */
export function processIo(env: NodeJS.ProcessEnv = process.env): Io {
  const stdoutIsTTY = process.stdout.isTTY === true;
  const stderrIsTTY = process.stderr.isTTY === true;
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    stdoutIsTTY,
    stderrIsTTY,
    columns: stdoutIsTTY ? process.stdout.columns : undefined,
    errColumns: stderrIsTTY ? process.stderr.columns : undefined,
    paint: painter(colorEnabled(stdoutIsTTY, env)),
    paintErr: painter(colorEnabled(stderrIsTTY, env)),
    now: () => Date.now(),
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
  };
}
