import { Command } from 'commander';
import { Annotation, requestValue, SECRET_CREDENTIAL_ID } from '../annotations.ts';
import { type CliContext, fail } from '../context.ts';
import { CliError, ExitCode, usageError } from '../errors.ts';
import { elapsed, relativeTime } from '../format/time.ts';
import { kindOf, parseObjectRef } from '../kinds.ts';
import type { Kube } from '../kube.ts';
import { annotate, type BerthObject, displayName, getObject } from '../objects.ts';
import { notPickedUp } from '../pickup.ts';
import { readSecretMetadata } from '../secret-metadata.ts';
import { conditionOf, healthOf } from '../state.ts';
import { type Poll, waitFor } from '../wait.ts';
import { timeoutOption } from './options.ts';

const TOKEN = kindOf('RegistryToken');

/** A rotation asked for: the token as it was, and the request value that the operator will answer. */
interface Requested {
  token: BerthObject;
  value: string;
  /** The credential the Secret held before; the rotation is done when another one is there. */
  before: string | undefined;
  beforeName: string | undefined;
  /** When the request was made, on the CLI's clock. */
  askedAt: number;
}

type Status = {
  credentialId?: string;
  credentialName?: string;
  secretName?: string;
  lastHandledReconcileAt?: string;
  pendingRevocations?: { credentialId: string; credentialName?: string; revokeAfter: string }[];
  reachesNothing?: boolean;
  scopeProblems?: string[];
};

const statusOf = (obj: BerthObject) => (obj.status ?? {}) as Status;

/** The names a user gave, as RegistryToken names (`rtok/NAME` is accepted, other kinds are not). */
function tokenNames(refs: readonly string[]): string[] {
  return refs.map((ref) => {
    const { kind, name } = parseObjectRef(ref);
    if (kind && kind.kind !== 'RegistryToken') throw usageError(`${ref}: berth rotate takes RegistryTokens`);
    return name;
  });
}

/**
 * One look at a rotation at `nowMs` (the CLI's clock): done once the reconcile that saw the request finished, the token is
 * Ready with another credential, and the Secret names that credential (when the caller may read
 * Secret metadata); failed when that reconcile left it Stalled.
 */
export async function pollRotation(kube: Kube, req: Requested, nowMs: number): Promise<Poll<BerthObject>> {
  const { namespace, name } = req.token.metadata;
  const cur = await getObject(kube, TOKEN, namespace, name);
  if (!cur) return { failed: `${displayName(req.token)} was deleted while waiting` };
  const st = statusOf(cur);
  const handled = st.lastHandledReconcileAt === req.value;
  const stalled = conditionOf(cur, 'Stalled');
  if (handled && stalled?.status === 'True') {
    return {
      failed: `${displayName(cur)} is Stalled (${stalled.reason}): ${stalled.message}; berth explain rtok/${name} says what to change`,
    };
  }
  const changed = st.credentialId !== undefined && st.credentialId !== req.before;
  // A credential that reaches none of its scopes yet (Quay: repositories that do not exist) keeps
  // the token from Ready, yet the rotation itself is done: waiting would only end in a timeout.
  const noAccess = conditionOf(cur, 'Ready')?.reason === 'NoAccess';
  if (handled && changed && (healthOf(cur) === 'Ready' || noAccess)) {
    const secret = await readSecretMetadata(kube, namespace, st.secretName ?? name);
    if (
      secret.found === 'forbidden' ||
      (secret.found === true && secret.annotations[SECRET_CREDENTIAL_ID] === st.credentialId)
    )
      return { done: cur };
    if (secret.found === false)
      return { waiting: `${displayName(cur)}: waiting for Secret ${st.secretName ?? name}` };
  }
  const ready = conditionOf(cur, 'Ready');
  const state = ready
    ? `Ready ${ready.status}, ${ready.reason}${ready.message ? `: ${ready.message}` : ''}`
    : 'not looked at by the operator yet';
  return {
    waiting: `rotating ${displayName(cur)}: ${handled ? state : `${notPickedUp(nowMs - req.askedAt)}; ${state}`}`,
  };
}

/** What a finished rotation says: the new credential, and when the replaced one is revoked. */
export function rotationReport(req: Requested, done: BerthObject, tookMs: number, nowMs: number): string {
  const st = statusOf(done);
  const current = st.credentialName ?? st.credentialId ?? 'a new credential';
  const lines = [
    `${displayName(done)} rotated in ${elapsed(tookMs)}: credential ${current} is in Secret ${st.secretName ?? done.metadata.name}`,
  ];
  const old = req.beforeName ?? req.before;
  const pending = (st.pendingRevocations ?? []).find((p) => p.credentialId === req.before);
  if (req.before === undefined) lines.push('  it is the first credential of this token; nothing to revoke');
  else if (pending)
    lines.push(
      `  the replaced credential ${old} keeps working until ${pending.revokeAfter} (${relativeTime(pending.revokeAfter, nowMs)}), then berth revokes it`,
    );
  else lines.push(`  the replaced credential ${old} is revoked already`);
  if (st.reachesNothing)
    lines.push(
      `  it reaches none of its scopes yet (${(st.scopeProblems ?? []).join('; ')}); berth grants them when they exist`,
    );
  return `${lines.join('\n')}\n`;
}

/** `berth rotate TOKEN...`: rotate now and wait until the new credential is in the Secret. */
export function rotateCommand(ctx: CliContext): Command {
  return new Command('rotate')
    .summary('rotate RegistryTokens now and wait for the new credential')
    .description(
      'Sets berth.dev/rotate-requested-at on each RegistryToken to a new value (and berth.dev/reconcile-' +
        'requested-at, to see the request answered), then waits until the token is Ready with a new ' +
        'credential and its Secret holds it, and says when the replaced credential will be revoked ' +
        '(after spec.gracePeriod).\n\n' +
        'Exit code 0 when every token rotated, 1 when one is missing, Stalled, or not done within --timeout.',
    )
    .argument('<token...>', 'RegistryToken names (NAME or rtok/NAME) in the namespace')
    .option('--no-wait', 'request the rotation and return at once')
    .addOption(timeoutOption('5m', 'each rotation (all together)'))
    .action(async (refs: string[], opts: { wait: boolean; timeout: number }, cmd: Command) => {
      const names = tokenNames(refs);
      const kube = ctx.connect(cmd.optsWithGlobals());
      const { io } = ctx;
      const requested: Requested[] = [];
      for (const name of names) {
        try {
          const token = await getObject(kube, TOKEN, kube.namespace, name);
          if (!token) throw new CliError(`RegistryToken ${kube.namespace}/${name} not found`);
          if (token.metadata.deletionTimestamp) throw new CliError(`${displayName(token)} is being deleted`);
          const annotations = token.metadata.annotations ?? {};
          const value = requestValue(io.now(), [
            annotations[Annotation.RotateRequested],
            annotations[Annotation.ReconcileRequested],
          ]);
          await annotate(kube, token, {
            [Annotation.RotateRequested]: value,
            [Annotation.ReconcileRequested]: value,
          });
          const st = statusOf(token);
          requested.push({
            token,
            value,
            before: st.credentialId,
            beforeName: st.credentialName,
            askedAt: io.now(),
          });
          if (!opts.wait)
            io.out(`${displayName(token)}: rotation requested (${Annotation.RotateRequested}=${value})\n`);
        } catch (err) {
          if (!(err instanceof CliError)) throw err;
          io.err(`${io.paintErr('error:', 'red')} ${err.message}\n`);
          fail(ctx, ExitCode.Problem);
        }
      }
      if (!opts.wait) return;
      const started = io.now();
      for (const req of requested) {
        try {
          const remaining = Math.max(0, opts.timeout - (io.now() - started));
          const done = await waitFor(io, () => pollRotation(kube, req, io.now()), {
            timeoutMs: remaining,
            what: `${displayName(req.token)} to rotate`,
            signal: ctx.signal,
          });
          io.out(rotationReport(req, done, io.now() - started, io.now()));
        } catch (err) {
          if (!(err instanceof CliError)) throw err;
          io.err(`${io.paintErr('error:', 'red')} ${err.message}\n`);
          fail(ctx, ExitCode.Problem);
        }
      }
    });
}
