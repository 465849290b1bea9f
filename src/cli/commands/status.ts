import { Command, Option } from 'commander';
import { type CliContext, fail } from '../context.ts';
import { ExitCode } from '../errors.ts';
import type { Tone } from '../format/color.ts';
import { renderStructured, STRUCTURED_FORMATS, type StructuredFormat } from '../format/structured.ts';
import { type Cell, cell, renderTable } from '../format/table.ts';
import { listAll } from '../objects.ts';
import { type Health, type Summary, sortProblemsFirst, summarize, whenOf } from '../state.ts';

/** The colour of each health, the same in every table. */
export const HEALTH_TONE: Record<Health, Tone> = { Stalled: 'red', NotReady: 'yellow', Ready: 'green' };

/** The rows of the status table (NAMESPACE only with `-A`). */
export function statusTable(
  rows: readonly Summary[],
  allNamespaces: boolean,
  nowMs: number,
): {
  headers: string[];
  cells: Cell[][];
} {
  const headers = [
    'kind',
    ...(allNamespaces ? ['namespace'] : []),
    'name',
    'ready',
    'reason',
    'when',
    'message',
  ];
  const cells = rows.map((s) => [
    cell(s.kind),
    ...(allNamespaces ? [cell(s.namespace)] : []),
    cell(s.name),
    cell(s.ready, HEALTH_TONE[s.health]),
    cell(s.reason),
    cell(whenOf(s, nowMs)),
    cell(s.message),
  ]);
  return { headers, cells };
}

/** `berth status`: every berth object in one table, problems first. */
export function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .summary('every berth object in one table, problems first')
    .description(
      'Lists every ContainerRegistry, RegistryToken and CleanupPolicy in the namespace (or all with -A), ' +
        'Stalled first, then not Ready, then Ready, with the reason, the times that matter ' +
        '(token expiry and renewal, policy runs, registry sync) and the message.\n\n' +
        'Exit code 0 when every object is Ready, 1 when one is not or a kind could not be listed.',
    )
    .option('-A, --all-namespaces', 'every namespace')
    .addOption(new Option('-o, --output <format>', 'machine-readable output').choices(STRUCTURED_FORMATS))
    .action(async (opts: { allNamespaces?: boolean; output?: StructuredFormat }, cmd: Command) => {
      const kube = ctx.connect(cmd.optsWithGlobals());
      const all = kube.allNamespaces;
      const { objects, problems } = await listAll(kube, all ? undefined : kube.namespace);
      const rows = sortProblemsFirst(objects.map(summarize));
      const { io } = ctx;
      for (const p of problems) io.err(`${io.paintErr('error:', 'red')} ${p}\n`);
      if (problems.length > 0) fail(ctx, ExitCode.Problem);
      if (rows.some((r) => r.health !== 'Ready')) fail(ctx, ExitCode.Problem);
      if (opts.output) {
        io.out(renderStructured({ items: rows }, opts.output));
        return;
      }
      if (rows.length === 0) {
        if (problems.length === 0)
          io.err(
            all ? 'No berth objects found.\n' : `No berth objects found in namespace ${kube.namespace}.\n`,
          );
        return;
      }
      const { headers, cells } = statusTable(rows, all, io.now());
      io.out(renderTable(headers, cells, { maxWidth: io.columns, paint: io.paint }));
    });
}
