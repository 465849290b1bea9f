import type { NativePolicyRef, NativeRetention, NativeRetentionRule, TokenRegistry } from '../provider.ts';
import { foreignPolicyError, policyBody, type QuayAutoPrune, samePolicy } from './autoprune.ts';
import type { QuayAutoPrunePolicy } from './schemas.ts';

/**
 * CleanupPolicy Native mode on Quay: auto-prune policies on the organization or on repositories.
 * Quay then prunes by itself (its worker runs every few minutes); berth only keeps the policies as
 * the spec says and removes the ones it created when they are no longer wanted. Only policies
 * whose uuids berth recorded (`previous`, the CleanupPolicy's status.nativePolicies) are ever
 * kept, replaced or deleted; an identical one someone else made is a ForeignPolicyError.
 */
export class QuayNativeRetention implements NativeRetention {
  private readonly autoPrune: QuayAutoPrune;

  constructor(autoPrune: QuayAutoPrune) {
    this.autoPrune = autoPrune;
  }

  async apply(
    registry: TokenRegistry,
    targets: (string | undefined)[],
    rule: NativeRetentionRule,
    previous: NativePolicyRef[],
  ): Promise<NativePolicyRef[] | undefined> {
    const organization = registry.externalId;
    const body = policyBody(rule);
    // Every target is read before anything changes, so a refusal leaves all of them as they were.
    const plans: {
      target: { organization: string; repository: string | undefined };
      existing: QuayAutoPrunePolicy[];
      keep: string | undefined;
    }[] = [];
    const foreign: {
      target: { organization: string; repository: string | undefined };
      policy: QuayAutoPrunePolicy;
    }[] = [];
    for (const repository of targets) {
      const target = { organization, repository };
      const existing = await this.autoPrune.list(target);
      if (existing === undefined) return undefined; // no FEATURE_AUTO_PRUNE on this instance
      const ours = new Set(previous.filter((p) => p.repository === repository).map((p) => p.id));
      const keep = existing.find((p) => ours.has(p.uuid) && samePolicy(p, body));
      const theirs = keep ? undefined : existing.find((p) => !ours.has(p.uuid) && samePolicy(p, body));
      if (theirs) foreign.push({ target, policy: theirs });
      plans.push({ target, existing, keep: keep?.uuid });
    }
    const [first, ...others] = foreign;
    if (first) throw foreignPolicyError(first.target, first.policy, others.length);
    const result: NativePolicyRef[] = [];
    for (const { target, existing, keep } of plans) {
      const id = keep ?? (await this.autoPrune.create(target, rule, existing));
      result.push({ repository: target.repository, id });
    }
    const wanted = new Set(result.map((r) => `${r.repository ?? ''}/${r.id}`));
    await this.remove(
      registry,
      previous.filter((p) => !wanted.has(`${p.repository ?? ''}/${p.id}`)),
    );
    return result;
  }

  async remove(registry: TokenRegistry, policies: NativePolicyRef[]): Promise<void> {
    for (const p of policies) {
      await this.autoPrune.delete({ organization: registry.externalId, repository: p.repository }, p.id);
    }
  }
}
