import type { ContainerRegistry } from '../../crds/container-registry.ts';
import { durationMs } from '../../crds/duration.ts';
import type { RegistryToken, RegistryTokenStatus } from '../../crds/registry-token.ts';
import { toMetaTime } from '../runtime/conditions.ts';
import type { ReconcileRequest } from '../runtime/controller.ts';
import { TerminalError, WaitingError } from '../runtime/outcome.ts';
import type { Refusal } from '../shared/grants.ts';
import type { TokenStatus } from './lifecycle.ts';
import { TokenReason } from './reasons.ts';

/** The status fields that describe live credentials and where they went; cleared once they are revoked. */
const CREDENTIAL_FIELDS = [
  'credentialId',
  'credentialName',
  'username',
  'server',
  'issuedAt',
  'expiresAt',
  'renewAt',
  'lastRotatedAt',
  'pendingRevocations',
  'pendingIssue',
  'scopesHash',
  'credentialCheckedAt',
  'scopeProblems',
  'scopeProblemsSince',
  'reachesNothing',
  'namespacesServed',
  'registry',
  'refusedAt',
] as const satisfies readonly (keyof RegistryTokenStatus)[];

/** Whether berth holds anything for this token at a provider: a current or replaced credential. */
export function holdsCredentials(status: RegistryTokenStatus): boolean {
  return status.credentialId !== undefined || (status.pendingRevocations ?? []).length > 0;
}

/** The status after every credential was revoked: nothing of them is left to point at. */
export function forgetCredentials(status: TokenStatus): void {
  for (const field of CREDENTIAL_FIELDS) delete status[field];
}

/**
 * What to do when the registry refuses a token that holds credentials: the first time, record when
 * (status.refusedAt) and warn; once the registry's observeInterval has passed without it admitting
 * the token again, revoke. A platform team that narrows a grant by mistake has that long to undo it
 * before pulls start failing; a tenant that lost access loses it within one interval.
 */
export type RefusalStep = { kind: 'wait'; until: number } | { kind: 'revoke' };

/** Decides the {@link RefusalStep}, recording refusedAt and the warning on the first refusal. */
export async function onRefusal(
  req: ReconcileRequest<RegistryToken>,
  status: TokenStatus,
  registry: ContainerRegistry,
  refusal: Refusal,
): Promise<RefusalStep> {
  const now = req.now();
  const graceMs = durationMs(registry.spec.observeInterval);
  if (status.refusedAt === undefined) {
    status.refusedAt = toMetaTime(now);
    await req.recordEvent({
      type: 'Warning',
      reason: TokenReason.AccessRefused,
      note:
        `${refusal.message}; the credentials of this token are revoked and its Secret and copies deleted ` +
        `in ${registry.spec.observeInterval} unless the registry admits it again`,
      action: 'Revoke',
    });
  }
  const until = Date.parse(status.refusedAt) + graceMs;
  return until > now ? { kind: 'wait', until } : { kind: 'revoke' };
}

/** The outcome while waiting out a refusal: not Ready, retried at the deadline, not Stalled yet. */
export function refusalPending(refusal: Refusal, until: number, now: number): WaitingError {
  return new WaitingError(
    refusal.reason,
    `${refusal.message}; credentials are revoked at ${new Date(until).toISOString()} unless it admits this token again`,
    Math.max(1_000, until - now),
  );
}

/** The outcome of a refused token with nothing (left) at the provider: Stalled until the spec or the registry changes. */
export function refusalFinal(refusal: Refusal): TerminalError {
  return new TerminalError(refusal.reason, refusal.message);
}
