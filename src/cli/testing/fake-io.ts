import { painter } from '../format/color.ts';
import type { Io } from '../io.ts';

/** An {@link Io} that records what was written, with a clock that sleeping moves forward. */
export interface FakeIo extends Io {
  stdout: string[];
  stderr: string[];
  /** Milliseconds since the epoch the fake clock shows. */
  clock: { now: number };
}

/** A fake terminal (or pipe) for unit tests: no colour, no real waiting. */
export function fakeIo(options: { tty?: boolean; nowMs?: number; columns?: number } = {}): FakeIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const clock = { now: options.nowMs ?? Date.parse('2026-06-01T12:00:00Z') };
  return {
    stdout,
    stderr,
    clock,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    stdoutIsTTY: options.tty ?? false,
    stderrIsTTY: options.tty ?? false,
    columns: options.columns,
    errColumns: options.columns,
    paint: painter(false),
    paintErr: painter(false),
    now: () => clock.now,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      clock.now += ms;
    },
  };
}
