import type { RunItem } from '../../crds/cleanup-rules.ts';
import { TerminalError } from '../runtime/outcome.ts';

/**
 * How many items a run reads back after deleting. Enough to notice deletes that do nothing (they
 * then do nothing for every item), few enough that a run of thousands costs five requests more.
 */
export const READ_BACK_SAMPLE = 5;

/** The Ready reason of a policy whose last run reported deletions that did not take effect. */
export const DELETIONS_NOT_EFFECTIVE = 'DeletionsNotEffective';

/** Which of the given items (all of one repository) are still there; an error proves nothing. */
export type Presence = (repository: string, items: readonly RunItem[]) => Promise<readonly RunItem[]>;

/** How a run reads back: the channel that deleted (`sample`), and the listing the plan came from. */
export interface ReadBack {
  /** Reads back deleted items through the client that deleted them (OCI HEAD, provider listing). */
  sample: Presence;
  /** Lists again what the plan listed: for repositories where every delete answered "not found". */
  listing: Presence;
}

/** A repository whose deletions were reported but, read back, had not happened. */
export interface NotEffective {
  repository: string;
  /** Items reported Deleted or AlreadyGone that are still there. */
  survivors: number;
}

const STILL_THERE = 'reported deleted, but reading it back found it still there';
const GONE_BUT_LISTED = 'the registry answered "not found" to the delete, but it is still there';

/**
 * Up to {@link READ_BACK_SAMPLE} of the items reported Deleted or AlreadyGone, taken in turn from
 * each repository (sorted by name), in run order within one: deterministic, and spread, so one
 * repository deleted at the wrong path cannot hide behind another that works.
 */
export function readBackSample(items: readonly RunItem[], max = READ_BACK_SAMPLE): RunItem[] {
  const byRepo = groupDeletions(items, ['Deleted', 'AlreadyGone']);
  const queues = [...byRepo.keys()].sort().map((r) => [...(byRepo.get(r) ?? [])]);
  const out: RunItem[] = [];
  while (out.length < max && queues.some((q) => q.length > 0)) {
    for (const q of queues) {
      const next = q.shift();
      if (next && out.length < max) out.push(next);
    }
  }
  return out;
}

/**
 * Checks that a run's deletions took effect: a sample is read back, and where every delete of a
 * repository answered "not found" although the listing had just shown those manifests (a wrong
 * path, or a registry that answers 404 to a delete it does not allow), that repository is listed
 * again. Whatever is still there becomes Failed with the reason, and its repository is returned.
 */
export async function verifyDeletions(
  items: readonly RunItem[],
  readBack: ReadBack,
): Promise<{ items: RunItem[]; notEffective: NotEffective[] }> {
  const survivors = new Set<RunItem>();
  const check = async (presence: Presence, repository: string, wanted: readonly RunItem[]) => {
    const present = await presence(repository, wanted).catch(() => [] as readonly RunItem[]);
    for (const item of present) if (wanted.includes(item)) survivors.add(item);
  };
  const sample = groupDeletions(readBackSample(items), ['Deleted', 'AlreadyGone']);
  for (const [repository, wanted] of sample) await check(readBack.sample, repository, wanted);
  const deleted = groupDeletions(items, ['Deleted']);
  const allGone = [...groupDeletions(items, ['AlreadyGone'])]
    .filter(([repository]) => !deleted.has(repository))
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, READ_BACK_SAMPLE);
  for (const [repository, wanted] of allGone) await check(readBack.listing, repository, wanted);

  const counts = new Map<string, number>();
  const out = items.map((item) => {
    if (!survivors.has(item)) return item;
    counts.set(item.repository, (counts.get(item.repository) ?? 0) + 1);
    const reason = item.action === 'Deleted' ? STILL_THERE : GONE_BUT_LISTED;
    return { ...item, action: 'Failed' as const, reason };
  });
  const notEffective = [...counts].map(([repository, n]) => ({ repository, survivors: n }));
  return { items: out, notEffective };
}

/**
 * What Ready and the Warning event say about deletions that did not take effect: which
 * repositories, and what to check. Names no credential, only that they may lack the permission.
 */
export function notEffectiveMessage(found: readonly NotEffective[]): string {
  const names = found.slice(0, 3).map((f) => `${f.repository} (${f.survivors} still there)`);
  const more = found.length > 3 ? ` and ${found.length - 3} more` : '';
  return (
    `deletions did not take effect in ${names.join(', ')}${more}: the registry reported them deleted or ` +
    'not found, but they are still there. Check that the repository path the registry is reached at ' +
    'is right and that the credentials may delete (some registries answer 404 to a delete they do not allow)'
  );
}

/**
 * The outcome of a policy whose last run's deletions did not take effect: Ready=False with
 * {@link DELETIONS_NOT_EFFECTIVE}, kept until the next run (`recheckAfterMs`), which may clear it.
 */
export function notEffectiveError(message: string, nextRunInMs: number): TerminalError {
  return new TerminalError(DELETIONS_NOT_EFFECTIVE, message, { recheckAfterMs: nextRunInMs });
}

function groupDeletions(items: readonly RunItem[], actions: RunItem['action'][]): Map<string, RunItem[]> {
  const byRepo = new Map<string, RunItem[]>();
  for (const item of items) {
    if (!actions.includes(item.action) || item.digest === undefined) continue;
    byRepo.set(item.repository, [...(byRepo.get(item.repository) ?? []), item]);
  }
  return byRepo;
}
