import type { NativePolicyRef, NativeRetention, NativeRetentionRule, TokenRegistry } from '../provider.ts';
import { policyBody, type QuayAutoPrune, samePolicy } from './autoprune.ts';

/**
 * CleanupPolicy Native mode on Quay: auto-prune policies on the organization or on repositories.
 * Quay then prunes by itself (its worker runs every few minutes); berth only keeps the policies as
 * the spec says and removes the ones it created when they are no longer wanted.
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
    const result: NativePolicyRef[] = [];
    for (const repository of targets) {
      const target = { organization, repository };
      const existing = await this.autoPrune.list(target);
      if (existing === undefined) return undefined; // no FEATURE_AUTO_PRUNE on this instance
      const ours = previous.filter((p) => p.repository === repository).map((p) => p.id);
      const keep = existing.find((p) => ours.includes(p.uuid) && samePolicy(p, body));
      result.push({ repository, id: keep ? keep.uuid : await this.autoPrune.ensure(target, rule) });
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
