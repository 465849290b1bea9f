import { Command, CommanderError } from 'commander';
import { checkCommand } from './commands/check.ts';
import { cleanupCommand } from './commands/cleanup.ts';
import { explainCommand } from './commands/explain.ts';
import { rotateCommand } from './commands/rotate.ts';
import { statusCommand } from './commands/status.ts';
import type { CliContext } from './context.ts';
import { CliError, ExitCode } from './errors.ts';
import type { Io } from './io.ts';
import { connect } from './kube.ts';

/** The version printed by `--version`, kept equal to package.json by a unit test. */
export const CLI_VERSION = '0.1.0';

/**
 * The `berth` command tree. The connection flags are kubectl's and are accepted before or after
 * the subcommand; `--help` works on every command; usage errors exit 2.
 */
export function buildProgram(ctx: CliContext, name = 'berth'): Command {
  const program = new Command(name)
    .description(
      'Inspect and operate berth objects (ContainerRegistry, RegistryToken, CleanupPolicy) with the same ' +
        'kubeconfig, context and namespace rules as kubectl. Installed as kubectl-berth, it is `kubectl berth`.',
    )
    .version(CLI_VERSION, '--version', 'print the version')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <namespace>', 'namespace (default: the context’s, else default)')
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 a problem was found or an action failed, 2 wrong usage.\n' +
        'Reference: docs/cli.md',
    );
  for (const sub of [
    statusCommand(ctx),
    rotateCommand(ctx),
    cleanupCommand(ctx),
    explainCommand(ctx),
    checkCommand(ctx),
  ])
    program.addCommand(sub);
  applyRecursively(program, (cmd) => {
    cmd.exitOverride();
    cmd.configureHelp({ showGlobalOptions: true });
    cmd.configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      outputError: (s, write) => write(ctx.io.paintErr(s, 'red')),
    });
  });
  return program;
}

function applyRecursively(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) applyRecursively(sub, fn);
}

/** The name to show in usage lines: `kubectl berth` when kubectl ran us as its plugin. */
export function programName(invokedAs: string | undefined): string {
  return invokedAs === 'kubectl-berth' ? 'kubectl berth' : 'berth';
}

/**
 * Runs the CLI with user arguments (no `node script` prefix) and returns the exit code. Errors
 * become one `error:` line; help and version exit 0; commander's own usage errors exit 2.
 */
export async function runCli(
  args: readonly string[],
  io: Io,
  signal: AbortSignal,
  name = 'berth',
): Promise<number> {
  const ctx: CliContext = { io, signal, exitCode: ExitCode.Ok, connect };
  const program = buildProgram(ctx, name);
  if (args.length === 0) {
    program.outputHelp({ error: true });
    return ExitCode.Usage;
  }
  try {
    await program.parseAsync([...args], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.Ok;
      if (err.code === 'commander.help') return ExitCode.Ok;
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (signal.aborted) {
      io.err('interrupted\n');
      return ExitCode.Interrupted;
    }
    if (err instanceof CliError) {
      io.err(`${io.paintErr('error:', 'red')} ${err.message}\n`);
      return Math.max(ctx.exitCode, err.exitCode);
    }
    io.err(`${io.paintErr('error:', 'red')} ${(err as Error)?.message ?? String(err)}\n`);
    return Math.max(ctx.exitCode, ExitCode.Problem);
  }
}
