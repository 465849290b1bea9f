import type { DeleteResult, Provider } from '../../clients/provider.ts';
import type { RunItem } from '../../crds/cleanup-rules.ts';
import { providerCall } from '../shared/provider-errors.ts';
import { byDepth, keepDependents, parentsFirst, stayingOf } from './dependents.ts';
import type { Decision, Plan } from './plan.ts';
import { type NotEffective, type Presence, verifyDeletions } from './read-back.ts';
import { recheck } from './recheck.ts';
import { openRunAccess, type RunAccess, type RunAccessContext } from './run-access.ts';
import { runItem } from './run-items.ts';

/** One item of a run, as status shows it. */
export type { RunItem } from '../../crds/cleanup-rules.ts';
export type { ManifestDeleter, ManifestDeleterFactory } from './run-access.ts';

/** The items of a run, and the repositories where its deletions did not take effect. */
export interface ExecutionResult {
  items: RunItem[];
  notEffective: NotEffective[];
}

/** What executing a plan needs: what opening the run's OCI access needs (IONOS deletes with it), and more. */
export interface ExecutionContext extends RunAccessContext {
  /** When the run started (the plan's clock); not used for the credential's expiry. */
  now: number;
  /** The run's OCI access when reading manifests opened it with delete rights; else opened here. */
  access?: RunAccess | undefined;
}

/** Why each provider, lacking `Images.deleteTags`, cannot delete one tag of a manifest that keeps others. */
const SINGLE_TAG_REFUSALS: Record<Provider['name'], string> = {
  // Its cleanup "removes specified tags and images" and answers per image: the image may go too.
  selectel: 'Selectel may delete the image, not only the tag',
  ionos: 'the OCI API deletes manifests, not single tags',
  quay: 'the provider cannot delete a single tag',
};

/**
 * Why the provider cannot delete a tag without its manifest, for the planner (`singleTagRefusal`),
 * or undefined where it can (`Images.deleteTags`).
 */
export function singleTagRefusal(provider: Provider): string | undefined {
  return provider.images?.deleteTags ? undefined : SINGLE_TAG_REFUSALS[provider.name];
}

/**
 * Carries out the deletions of a plan with what the provider offers: its delete endpoints
 * (Selectel cleanup, Quay tags), else the OCI API with a delete-scoped credential issued for this
 * run and revoked afterwards (IONOS). Deletions are idempotent, so a run that failed half way is
 * simply planned and run again. Failures are reported per item, never thrown for one item. A
 * sample of the deletions is read back through the same channel before the run ends
 * ({@link verifyDeletions}): a registry may answer success or 404 to deletes that do nothing.
 */
export async function execute(ctx: ExecutionContext, plan: Plan): Promise<ExecutionResult> {
  const images = ctx.provider.images;
  const byRepo = new Map<string, Decision[]>();
  for (const d of plan.deletions) byRepo.set(d.repository, [...(byRepo.get(d.repository) ?? []), d]);
  const items: RunItem[] = [];

  if (images?.deleteDigests || images?.deleteTags) {
    for (const [repository, planned] of byRepo) {
      // Just before the batch: what moved since the listing is kept (recheck.ts).
      const { proceed, settled } = await recheck(ctx, repository, planned);
      items.push(...settled);
      // What belongs to a manifest that stays goes in a later batch than it, so a failed delete keeps it too.
      for (const level of byDepth(proceed)) {
        const { proceed: decisions, settled: kept } = keepDependents(level, stayingOf(items));
        items.push(...kept);
        await deleteBatch(ctx, repository, decisions, items);
      }
    }
    // The provider's own listing is both the channel that deleted and the one the plan read.
    return verifyDeletions(items, { sample: listed(ctx), listing: listed(ctx) });
  }

  // The OCI path: a credential scoped to delete, for this run only (the one reading opened, or a new one).
  const given = ctx.access?.deletes ? ctx.access : undefined;
  const access = given ?? (await openRunAccess(ctx, [...byRepo.keys()], ['pull', 'delete']));
  try {
    const oci = access.registry;
    for (const [, decisions] of byRepo) {
      for (const planned of parentsFirst(decisions)) {
        // A signature or platform manifest of one that stayed (re-check, failure) stays too.
        const dependent = keepDependents([planned], stayingOf(items));
        items.push(...dependent.settled);
        const [d] = dependent.proceed;
        if (d === undefined) continue;
        if (d.action !== 'delete-manifest') {
          items.push(runItem(d, 'Kept', 'the OCI API deletes manifests, not single tags'));
          continue;
        }
        // Through the IONOS API, right before this one delete (recheck.ts).
        const { proceed, settled } = await recheck(ctx, d.repository, [d]);
        items.push(...settled);
        const [now] = proceed;
        if (!now) continue;
        try {
          const outcome = await oci.deleteManifest(now.repository, now.digest);
          items.push(outcome === 'gone' ? runItem(now, 'AlreadyGone') : runItem(now, 'Deleted'));
        } catch (err) {
          items.push(runItem(now, 'Failed', (err as Error).message.slice(0, 200)));
        }
      }
    }
    // Read back while the run's credential (pull and delete) is still valid.
    const headed: Presence = async (repository, wanted) => {
      const present: RunItem[] = [];
      for (const item of wanted) if (await oci.exists(repository, item.digest ?? '')) present.push(item);
      return present;
    };
    return await verifyDeletions(items, { sample: headed, listing: listed(ctx) });
  } finally {
    // The caller closes what it opened.
    if (given === undefined) await access.close();
  }
}

/** One batch of one repository through the provider's delete endpoints; items appended. */
async function deleteBatch(
  ctx: ExecutionContext,
  repository: string,
  decisions: readonly Decision[],
  items: RunItem[],
): Promise<void> {
  const images = ctx.provider.images;
  if (!images) return;
  const call = <T>(fn: () => Promise<T>) => providerCall(ctx.credentialsSecret, fn);
  const manifests = decisions.filter((d) => d.action === 'delete-manifest');
  const tags = decisions.filter((d) => d.action === 'delete-tag');
  const none: DeleteResult = { failed: [] };
  let byDigest = none;
  if (manifests.length > 0 && images.deleteDigests) {
    const digests = manifests.map((d) => d.digest);
    byDigest = await call(
      () => images.deleteDigests?.(ctx.registry, repository, digests) ?? Promise.resolve(none),
    );
  }
  let byTag = none;
  if (tags.length > 0 && images.deleteTags) {
    const names = tags.map((d) => (d.action === 'delete-tag' ? d.tag : ''));
    byTag = await call(() => images.deleteTags?.(ctx.registry, repository, names) ?? Promise.resolve(none));
  }
  for (const d of manifests) items.push(reported(d, d.digest, byDigest));
  for (const d of tags) {
    const tag = d.action === 'delete-tag' ? d.tag : '';
    if (!images.deleteTags) items.push(runItem(d, 'Kept', 'the provider cannot delete a single tag'));
    else items.push(reported(d, tag, byTag));
  }
}

/** The item of one deletion the provider answered for in a batch (by digest or by tag name). */
function reported(d: Decision, name: string, result: DeleteResult): RunItem {
  if (result.failed.includes(name))
    return runItem(d, 'Failed', 'the provider reported the deletion as failed');
  if (result.gone?.includes(name)) return runItem(d, 'AlreadyGone');
  return runItem(d, 'Deleted');
}

/**
 * Which items the provider still lists: a manifest by its digest, a tag by its name on that
 * digest. Quay lists active tags only, so a manifest whose tags all went is not listed.
 */
function listed(ctx: ExecutionContext): Presence {
  return async (repository, wanted) => {
    const images = ctx.provider.images;
    if (!images) return [];
    const tagsOf = new Map<string, Set<string>>();
    await providerCall(ctx.credentialsSecret, async () => {
      for await (const a of images.listArtifacts(ctx.registry, repository))
        tagsOf.set(a.digest, new Set(a.tags));
    });
    return wanted.filter((item) => {
      const tags = tagsOf.get(item.digest ?? '');
      return tags !== undefined && (item.tag === undefined || tags.has(item.tag));
    });
  };
}
