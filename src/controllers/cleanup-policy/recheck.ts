/**
 * The re-check of a run's deletions right before they are carried out. A plan is made from a
 * listing; deleting by digest removes every tag on it at the time of the delete, and deleting a tag
 * removes whatever it points to then. A tag moved since the listing (a rollback re-tag of `prod`
 * onto an old digest) would go with it, so each deletion is held against the provider's current
 * state and kept when what it would remove is no longer what the plan saw.
 */
import { currentTagsOf } from '../../clients/current-tags.ts';
import type { CurrentTags, Provider, TokenRegistry, WantedNow } from '../../clients/provider.ts';
import type { RunItem } from '../../crds/cleanup-rules.ts';
import type { Decision } from './plan.ts';
import { runItem } from './run-items.ts';

/** Deletions still to carry out (tags as they are now), and the items of those settled by the re-check. */
export interface Rechecked {
  proceed: Decision[];
  settled: RunItem[];
}

/** What a re-check reads from: the provider and the registry of the run. */
export interface RecheckContext {
  provider: Pick<Provider, 'images'>;
  registry: TokenRegistry;
}

/**
 * Re-checks deletions of one repository against the provider's current state, read once for all
 * of them (call it per decision to check each right before its own delete). When the provider
 * cannot be read, every deletion is kept with the reason: nothing is deleted unchecked.
 */
export async function recheck(
  ctx: RecheckContext,
  repository: string,
  decisions: readonly Decision[],
): Promise<Rechecked> {
  const wanted: WantedNow = {
    digests: decisions.filter((d) => d.action === 'delete-manifest').map((d) => d.digest),
    tags: decisions.flatMap((d) => (d.action === 'delete-tag' ? [d.tag] : [])),
  };
  if (wanted.digests.length === 0 && wanted.tags.length === 0)
    return { proceed: [...decisions], settled: [] };
  let now: CurrentTags;
  try {
    now = await readNow(ctx, repository, wanted);
  } catch (err) {
    const reason = `could not re-check it before deleting: ${describe(err)}`;
    return { proceed: [], settled: decisions.map((d) => runItem(d, 'Kept', reason)) };
  }
  return settle(decisions, now);
}

/**
 * The pure half of {@link recheck}: a manifest that now carries a tag the plan did not see is kept;
 * one that lost all its tags is kept too (the next run decides by the untagged rule); a tag that
 * now points to another digest is kept; what is gone is AlreadyGone, without a delete.
 */
export function settle(decisions: readonly Decision[], now: CurrentTags): Rechecked {
  const out: Rechecked = { proceed: [], settled: [] };
  for (const d of decisions) {
    if (d.action === 'delete-manifest') {
      const tags = now.ofDigest.get(d.digest);
      if (tags === undefined) {
        out.settled.push(runItem(d, 'AlreadyGone', 'already gone when re-checked before the delete'));
        continue;
      }
      const added = tags.filter((t) => !d.tags.includes(t));
      if (added.length > 0) {
        out.settled.push(runItem(d, 'Kept', addedReason(added)));
      } else if (tags.length === 0 && d.tags.length > 0) {
        const reason = `its tags ${d.tags.join(', ')} were moved or deleted since the listing; untagged now`;
        out.settled.push(runItem(d, 'Kept', reason));
      } else {
        // Only planned tags left (maybe fewer): the item names what the delete removes now.
        out.proceed.push({ ...d, tags: d.tags.filter((t) => tags.includes(t)) });
      }
    } else if (d.action === 'delete-tag') {
      const digest = now.ofTag.get(d.tag);
      if (digest === undefined)
        out.settled.push(runItem(d, 'AlreadyGone', `tag ${d.tag} was already gone when re-checked`));
      else if (digest !== d.digest)
        out.settled.push(runItem(d, 'Kept', `tag ${d.tag} moved to ${digest} since the listing`));
      else out.proceed.push(d);
    } else out.proceed.push(d);
  }
  return out;
}

function addedReason(added: string[]): string {
  return added.length === 1
    ? `tag ${added[0]} was added since the listing`
    : `tags ${added.join(', ')} were added since the listing`;
}

/** Through the provider's cheapest way where it has one, else by listing the repository again. */
async function readNow(ctx: RecheckContext, repository: string, wanted: WantedNow): Promise<CurrentTags> {
  const images = ctx.provider.images;
  if (!images) throw new Error('the provider cannot list images');
  if (images.currentTags) return images.currentTags(ctx.registry, repository, wanted);
  return currentTagsOf(images.listArtifacts(ctx.registry, repository), wanted);
}

/** The error's class and message, bounded (provider errors carry no secret; see http/redact.ts). */
function describe(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  return `${e.name}: ${e.message}`.slice(0, 160);
}
