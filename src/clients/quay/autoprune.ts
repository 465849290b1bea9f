import { ConflictError, NotFoundError, ProviderError } from '../http/errors.ts';
import type { QuayApi } from './api.ts';
import { type AutoPrunePolicyBody, type AutoPruneTarget, autoPrunePath } from './api-shapes.ts';
import { durationSeconds } from './names.ts';
import type { QuayAutoPrunePolicy } from './schemas.ts';

/** A provider-neutral retention rule that Quay can run natively. */
export interface NativeRule {
  /** Keep the newest N tags (number_of_tags). Exactly one of keepLast and olderThan. */
  keepLast?: number | undefined;
  /** Prune tags pushed longer ago than this (`7d`, `12h`, `2w`: creation_date). */
  olderThan?: string | undefined;
  /** A regular expression on tag names. */
  tagPattern?: string | undefined;
  /** True: the rule applies to matching tags only; false: to non-matching tags only (default true). */
  tagPatternMatches?: boolean | undefined;
}

/** The Quay policy body of a rule; throws TypeError for a rule Quay cannot express. */
export function policyBody(rule: NativeRule): AutoPrunePolicyBody {
  const pattern =
    rule.tagPattern === undefined
      ? {}
      : { tagPattern: rule.tagPattern, tagPatternMatches: rule.tagPatternMatches ?? true };
  if (rule.keepLast !== undefined && rule.olderThan === undefined) {
    if (!Number.isInteger(rule.keepLast) || rule.keepLast < 1)
      throw new TypeError('keepLast must be a positive integer for Quay auto-prune');
    // Quay insists on a JSON integer for number_of_tags and a string for creation_date.
    return { method: 'number_of_tags', value: rule.keepLast, ...pattern };
  }
  if (rule.olderThan !== undefined && rule.keepLast === undefined) {
    if (durationSeconds(rule.olderThan) === undefined)
      throw new TypeError(`olderThan ${rule.olderThan} is not a Quay duration such as 7d`);
    return { method: 'creation_date', value: rule.olderThan, ...pattern };
  }
  throw new TypeError('a Quay auto-prune rule needs exactly one of keepLast and olderThan');
}

/** Whether a policy at Quay already says what the body says (the key Quay rejects duplicates on). */
export function samePolicy(policy: QuayAutoPrunePolicy, body: AutoPrunePolicyBody): boolean {
  return (
    policy.method === body.method &&
    String(policy.value) === String(body.value) &&
    (policy.tagPattern ?? undefined) === body.tagPattern &&
    (body.tagPattern === undefined || (policy.tagPatternMatches ?? true) === (body.tagPatternMatches ?? true))
  );
}

/**
 * Quay auto-prune policies (FEATURE_AUTO_PRUNE, org level since 3.10, repository level since 3.11):
 * berth's CleanupPolicy Native mode. Not part of the provider-neutral capabilities, so it is an
 * extra member of QuayProvider.
 */
export class QuayAutoPrune {
  private readonly api: QuayApi;

  constructor(api: QuayApi) {
    this.api = api;
  }

  /**
   * The target's policies, or undefined when the instance has no auto-prune (the endpoints answer
   * 404 then; for an organization target a missing organization is a 403, never a 404).
   */
  async list(target: AutoPruneTarget): Promise<QuayAutoPrunePolicy[] | undefined> {
    try {
      return await this.api.listAutoPrunePolicies(target);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** One policy, or undefined when it does not exist. */
  async get(target: AutoPruneTarget, uuid: string): Promise<QuayAutoPrunePolicy | undefined> {
    try {
      return await this.api.getAutoPrunePolicy(target, uuid);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Creates a policy and returns its uuid. `before` is the target's list read just before: when
   * the answer is lost (a timeout, a reset connection, a 5xx, an unreadable 201), the list is read
   * again and an identical policy that was not there before is the one this call made. Never
   * returns a policy it did not make; callers must not ask for one identical to an existing
   * policy (Quay refuses duplicates with a 400, see {@link ForeignPolicyError}).
   */
  async create(target: AutoPruneTarget, rule: NativeRule, before: QuayAutoPrunePolicy[]): Promise<string> {
    const body = policyBody(rule);
    try {
      return await this.api.createAutoPrunePolicy(target, body);
    } catch (err) {
      if (!outcomeUnknown(err)) throw err;
      const known = new Set(before.map((p) => p.uuid));
      const after = await this.list(target).catch(() => undefined);
      const made = after?.find((p) => !known.has(p.uuid) && samePolicy(p, body));
      if (made) return made.uuid;
      throw err;
    }
  }

  /** Replaces a policy's rule (PUT, 204). Idempotent. */
  async update(target: AutoPruneTarget, uuid: string, rule: NativeRule): Promise<void> {
    await this.api.updateAutoPrunePolicy(target, uuid, policyBody(rule));
  }

  /** Deletes a policy. Idempotent: a policy that is already gone is not an error. */
  async delete(target: AutoPruneTarget, uuid: string): Promise<void> {
    try {
      await this.api.deleteAutoPrunePolicy(target, uuid);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}

/**
 * An auto-prune policy identical to the one berth would create exists on the target, and berth did
 * not create it (its uuid is not among those berth recorded). Quay refuses a duplicate, and berth
 * neither adopts such a policy (it would delete it with the CleanupPolicy) nor deletes it.
 */
export class ForeignPolicyError extends ConflictError {
  override readonly name = 'ForeignPolicyError';
}

/** The {@link ForeignPolicyError} for an identical policy found on `target`. */
export function foreignPolicyError(
  target: AutoPruneTarget,
  policy: QuayAutoPrunePolicy,
  others: number,
): ForeignPolicyError {
  const where = target.repository
    ? `repository ${target.organization}/${target.repository}`
    : `organization ${target.organization}`;
  const more = others > 0 ? ` (and on ${others} more ${others === 1 ? 'target' : 'targets'})` : '';
  return new ForeignPolicyError(
    `an identical Quay auto-prune policy ${policy.uuid} already exists on ${where}${more} and berth did ` +
      'not create it: Quay refuses a duplicate, and berth neither adopts nor deletes a policy it did not ' +
      'create. Delete that policy in Quay to let berth manage one, or change the rule.',
    {
      provider: 'quay',
      operation: 'autoprune.create',
      method: 'LOCAL',
      path: autoPrunePath(target),
      status: 409,
    },
  );
}

/** Whether a failed create may still have happened: no answer, a 5xx, or a 2xx berth could not read. */
function outcomeUnknown(err: unknown): boolean {
  if (!(err instanceof ProviderError)) return false;
  const status = err.status;
  return status === undefined || status >= 500 || (status >= 200 && status < 300);
}
