import { Command, Option } from 'commander';
import { type CliContext, fail } from '../context.ts';
import { ExitCode } from '../errors.ts';
import { adviceFor, registryRefOf } from '../explain/advice.ts';
import { type ObjectEvent, recentEvents } from '../explain/events.ts';
import { nextSteps } from '../explain/next.ts';
import { renderStructured, STRUCTURED_FORMATS, type StructuredFormat } from '../format/structured.ts';
import { cell, renderTable } from '../format/table.ts';
import { relativeTime } from '../format/time.ts';
import type { Io } from '../io.ts';
import { kindOf } from '../kinds.ts';
import { type BerthObject, type Condition, displayName, getObject, resolveObject } from '../objects.ts';
import { healthOf, summarize } from '../state.ts';
import { HEALTH_TONE } from './status.ts';

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');

/** The referenced registry and its state, in one line. */
function registryLine(obj: BerthObject, registry: BerthObject | undefined): string | undefined {
  const ref = registryRefOf(obj);
  if (!ref) return undefined;
  if (!registry) return `ContainerRegistry ${ref.namespace}/${ref.name} does not exist (or cannot be read)`;
  return `${displayName(registry)} is ${healthOf(registry)}`;
}

function conditionsTable(io: Io, conditions: readonly Condition[], generation: number | undefined): string {
  return renderTable(
    ['type', 'status', 'reason', 'since', 'message'],
    conditions.map((c) => [
      cell(c.type),
      cell(c.status),
      cell(c.reason ?? ''),
      cell(relativeTime(c.lastTransitionTime, io.now()) ?? ''),
      cell(
        (c.message ?? '') +
          (generation !== undefined && c.observedGeneration !== undefined && c.observedGeneration < generation
            ? ` (for generation ${c.observedGeneration}; now ${generation})`
            : ''),
      ),
    ]),
    { paint: io.paint, maxWidth: io.columns === undefined ? undefined : io.columns - 2 },
  );
}

function eventsTable(io: Io, events: readonly ObjectEvent[]): string {
  return renderTable(
    ['last seen', 'type', 'reason', 'count', 'message'],
    events.map((e) => [
      cell(relativeTime(e.at, io.now()) ?? ''),
      cell(e.type, e.type === 'Warning' ? 'yellow' : undefined),
      cell(e.reason),
      cell(String(e.count)),
      cell(e.note),
    ]),
    { paint: io.paint, maxWidth: io.columns === undefined ? undefined : io.columns - 2 },
  );
}

/** `berth explain OBJECT`: why it is in its state, what happened, what happens next, what to change. */
export function explainCommand(ctx: CliContext): Command {
  return new Command('explain')
    .summary('why an object is in its state, and what happens next')
    .description(
      'Shows one ContainerRegistry, RegistryToken or CleanupPolicy: its conditions with their times, the ' +
        'recent events about it, what the operator will do next and when (renewal and revocations, the ' +
        'next run, the next look at the provider), and for an object that is not Ready what to change.\n\n' +
        'OBJECT is KIND/NAME (creg/shop, rtok/shop-pull, cleanuppolicy/retention) or a NAME, looked up in ' +
        'all three kinds.\n\n' +
        'Exit code 0 when the object is Ready, 1 when it is not or cannot be found, 2 when NAME is ambiguous.',
    )
    .argument('<object>', 'KIND/NAME or NAME')
    .addOption(new Option('-o, --output <format>', 'machine-readable output').choices(STRUCTURED_FORMATS))
    .action(async (ref: string, opts: { output?: StructuredFormat }, cmd: Command) => {
      const kube = ctx.connect(cmd.optsWithGlobals());
      const { io } = ctx;
      const obj = await resolveObject(kube, ref, kube.namespace);
      const regRef = obj.kind === 'ContainerRegistry' ? undefined : registryRefOf(obj);
      const registry = regRef
        ? await getObject(kube, kindOf('ContainerRegistry'), regRef.namespace, regRef.name).catch(
            () => undefined,
          )
        : undefined;
      const events = await recentEvents(kube, obj);
      const summary = summarize(obj);
      const next = nextSteps(obj, registry, io.now());
      const advice = adviceFor(obj);
      const conditions = obj.status?.conditions ?? [];
      if (summary.health !== 'Ready') fail(ctx, ExitCode.Problem);

      if (opts.output) {
        io.out(
          renderStructured(
            {
              ...summary,
              generation: obj.metadata.generation,
              observedGeneration: obj.status?.observedGeneration,
              ...(regRef
                ? { registry: { ...regRef, health: registry ? healthOf(registry) : 'NotFound' } }
                : {}),
              conditions,
              events: typeof events === 'string' ? { error: events } : events,
              next,
              advice,
            },
            opts.output,
          ),
        );
        return;
      }

      const p = io.paint;
      const lines = [
        `${p(displayName(obj), 'bold')}: ${p(summary.health, HEALTH_TONE[summary.health])}`,
        `  reason:      ${summary.reason || '-'}`,
        `  message:     ${summary.message || '-'}`,
        `  generation:  ${obj.metadata.generation ?? '-'} (observed ${obj.status?.observedGeneration ?? '-'}), created ${relativeTime(obj.metadata.creationTimestamp, io.now()) ?? '-'}`,
      ];
      const regLine = registryLine(obj, registry);
      if (regLine) lines.push(`  registry:    ${regLine}`);
      io.out(`${lines.join('\n')}\n\nConditions:\n`);
      io.out(
        conditions.length > 0
          ? indent(conditionsTable(io, conditions, obj.metadata.generation))
          : '  none yet\n',
      );
      io.out('\nEvents (oldest first):\n');
      if (typeof events === 'string') io.out(`  not shown: ${events}\n`);
      else io.out(events.length > 0 ? indent(eventsTable(io, events)) : '  none\n');
      io.out(`\nNext:\n${next.map((n) => `  - ${n}\n`).join('')}`);
      if (advice.length > 0)
        io.out(`\n${p('What to do:', 'bold')}\n${advice.map((a) => `  - ${a}\n`).join('')}`);
    });
}
