import { Command, Option } from 'commander';
import { Annotation, requestValue } from '../annotations.ts';
import { type CliContext, fail } from '../context.ts';
import { copyName, createCopy, deleteCopy, dryRunCopy } from '../dry-run-copy.ts';
import { CliError, ExitCode, usageError } from '../errors.ts';
import { renderStructured, STRUCTURED_FORMATS, type StructuredFormat } from '../format/structured.ts';
import { relativeTime } from '../format/time.ts';
import { kindOf, parseObjectRef } from '../kinds.ts';
import type { Kube } from '../kube.ts';
import { annotate, type BerthObject, displayName, getObject, mustGet } from '../objects.ts';
import { notPickedUp } from '../pickup.ts';
import { type RunItem, type RunSummary, runHeadline, runItemsTable } from '../run-report.ts';
import { conditionOf } from '../state.ts';
import { type Poll, waitFor } from '../wait.ts';
import { timeoutOption } from './options.ts';

const POLICY = kindOf('CleanupPolicy');

type PolicyStatus = {
  lastRun?: RunSummary;
  lastRunItems?: RunItem[];
  lastRunAt?: string;
  lastHandledRunRequestAt?: string;
  lastHandledReconcileAt?: string;
};

const statusOf = (obj: BerthObject) => (obj.status ?? {}) as PolicyStatus;

/**
 * One look at a requested run, `waitedMs` after it was asked for: done when
 * status.lastHandledRunRequestAt answers this request.
 */
export async function pollRun(
  kube: Kube,
  policy: BerthObject,
  value: string,
  waitedMs: number,
): Promise<Poll<BerthObject>> {
  const { namespace, name } = policy.metadata;
  const cur = await getObject(kube, POLICY, namespace, name);
  if (!cur) return { failed: `${displayName(policy)} was deleted while waiting` };
  const st = statusOf(cur);
  if (st.lastHandledRunRequestAt === value && st.lastRun) return { done: cur };
  const handled = st.lastHandledReconcileAt === value;
  const stalled = conditionOf(cur, 'Stalled');
  if (handled && stalled?.status === 'True') {
    return {
      failed: `${displayName(cur)} is Stalled (${stalled.reason}): ${stalled.message}; berth explain cpol/${name} says what to change`,
    };
  }
  const ready = conditionOf(cur, 'Ready');
  if (handled && ready?.status === 'False')
    return {
      waiting: `${displayName(cur)}: the run did not complete and is retried: ${ready.reason}: ${ready.message ?? ''}`,
    };
  return {
    waiting: `running ${displayName(cur)}${handled ? '' : `: ${notPickedUp(waitedMs)}`}`,
  };
}

/** Prints a finished run: the headline, the items, and a note when more happened than status keeps. */
function printRun(
  ctx: CliContext,
  title: string,
  st: PolicyStatus,
  output: StructuredFormat | undefined,
  extra: Record<string, unknown>,
): void {
  const { io } = ctx;
  const run = st.lastRun as RunSummary;
  const items = st.lastRunItems ?? [];
  if (output) {
    io.out(
      renderStructured({ ...extra, lastRunAt: st.lastRunAt, lastRun: run, lastRunItems: items }, output),
    );
  } else {
    io.out(`${title}: ${runHeadline(run)}\n`);
    if (items.length > 0) io.out(runItemsTable(items, io.paint, io.columns));
    const listed = items.filter((i) => i.action !== 'Kept').length;
    if (run.deleted + run.failed > listed) {
      const what = run.dryRun ? 'would-be deletions' : 'deletions and failures';
      io.out(
        `(status keeps ${items.length} items; the operator's log has a "cleanup item" line, with all tags, for each of the ${run.deleted + run.failed} ${what})\n`,
      );
    }
  }
  if (run.failed > 0) fail(ctx, ExitCode.Problem);
}

/** `berth cleanup run POLICY [--dry-run]`. */
function runCommand(ctx: CliContext): Command {
  return new Command('run')
    .summary('run a CleanupPolicy now and show what it did')
    .description(
      'Sets berth.dev/run-requested-at on the CleanupPolicy to a new value, waits until ' +
        'status.lastHandledRunRequestAt answers it, and prints the run: counts and the items status keeps ' +
        '(failures and deletions first).\n\n' +
        'With --dry-run: a policy with spec.dryRun: true is simply run. A policy that deletes is never ' +
        'switched to dry run; berth instead creates a temporary copy of it with dryRun: true and ' +
        'suspend: true (owned by the policy, labelled app.kubernetes.io/created-by=berth-cli), runs that, ' +
        'prints what it would delete and deletes the copy. Without the right to create CleanupPolicies it ' +
        'refuses and shows the last dry run instead, if there was one.\n\n' +
        'Exit code 0 when the run completed, 1 when it failed, had failed deletions, or was refused.',
    )
    .argument('<policy>', 'CleanupPolicy name (NAME or cpol/NAME) in the namespace')
    .option('--dry-run', 'only report what the policy would delete; deletes nothing')
    .addOption(timeoutOption('10m', 'the run'))
    .addOption(new Option('-o, --output <format>', 'machine-readable output').choices(STRUCTURED_FORMATS))
    .action(
      async (
        ref: string,
        opts: { dryRun?: boolean; timeout: number; output?: StructuredFormat },
        cmd: Command,
      ) => {
        const { kind, name } = parseObjectRef(ref);
        if (kind && kind.kind !== 'CleanupPolicy')
          throw usageError(`${ref}: berth cleanup run takes a CleanupPolicy`);
        const kube = ctx.connect(cmd.optsWithGlobals());
        const { io } = ctx;
        const policy = await mustGet(kube, POLICY, kube.namespace, name);
        if (policy.metadata.deletionTimestamp) throw new CliError(`${displayName(policy)} is being deleted`);
        if (policy.spec.mode === 'Native') {
          throw new CliError(
            `${displayName(policy)} is in Native mode: the provider (Quay auto-prune) prunes by itself, there is no run for berth to start`,
          );
        }
        const annotations = policy.metadata.annotations ?? {};
        const value = requestValue(io.now(), [
          annotations[Annotation.RunRequested],
          annotations[Annotation.ReconcileRequested],
        ]);
        // Called right after the request is made (annotation set, or copy created).
        const wait = (target: BerthObject) => {
          const askedAt = io.now();
          return waitFor(io, () => pollRun(kube, target, value, io.now() - askedAt), {
            timeoutMs: opts.timeout,
            what: `${displayName(target)} to run`,
            signal: ctx.signal,
          });
        };

        if (!opts.dryRun || policy.spec.dryRun === true) {
          await annotate(kube, policy, {
            [Annotation.RunRequested]: value,
            [Annotation.ReconcileRequested]: value,
          });
          const done = await wait(policy);
          printRun(ctx, displayName(done), statusOf(done), opts.output, {
            namespace: done.metadata.namespace,
            name: done.metadata.name,
          });
          return;
        }

        const copy = dryRunCopy(policy, copyName(policy.metadata.name), value);
        const created = await createCopy(kube, copy);
        if (created === 'forbidden') {
          const last = statusOf(policy);
          const refusal =
            `${displayName(policy)} deletes (spec.dryRun is false), and berth previews such a policy on a temporary ` +
            `dry-run copy, which you may not create (RBAC: create cleanuppolicies in ${kube.namespace}); nothing was run`;
          if (last.lastRun?.dryRun) {
            io.err(`${io.paintErr('error:', 'red')} ${refusal}\n`);
            printRun(ctx, `last dry run, ${relativeTime(last.lastRunAt, io.now())}`, last, opts.output, {
              namespace: policy.metadata.namespace,
              name: policy.metadata.name,
            });
            fail(ctx, ExitCode.Problem);
            return;
          }
          throw new CliError(refusal);
        }
        io.err(
          `dry run of ${displayName(policy)} on the temporary copy ${created.metadata.name} (dryRun: true, suspend: true)\n`,
        );
        try {
          const done = await wait(created);
          printRun(ctx, `${displayName(policy)} (dry run on a copy)`, statusOf(done), opts.output, {
            namespace: policy.metadata.namespace,
            name: policy.metadata.name,
            copy: created.metadata.name,
          });
        } finally {
          const problem = await deleteCopy(kube, created);
          if (problem) io.err(`${io.paintErr('warning:', 'yellow')} ${problem}\n`);
        }
      },
    );
}

/** `berth cleanup`: the CleanupPolicy commands. */
export function cleanupCommand(ctx: CliContext): Command {
  return new Command('cleanup').summary('CleanupPolicy commands').addCommand(runCommand(ctx));
}
