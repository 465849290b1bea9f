import type { Io } from './io.ts';
import type { ConnectionOptions, Kube } from './kube.ts';

/** What every command gets: where to write, how to connect, and when to stop. */
export interface CliContext {
  io: Io;
  /** Connects with the global flags (`--kubeconfig`, `--context`, `-n`) and any of the command's own. */
  connect(options: ConnectionOptions): Kube;
  /** Aborted on Ctrl-C: waits stop, and commands clean up what they created. */
  signal: AbortSignal;
  /** The exit code so far; a command raises it (never lowers it) when it finds a problem. */
  exitCode: number;
}

/** Raises the exit code to at least `code`. */
export function fail(ctx: CliContext, code: number): void {
  ctx.exitCode = Math.max(ctx.exitCode, code);
}
