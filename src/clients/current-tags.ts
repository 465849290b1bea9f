/**
 * Builds {@link CurrentTags} from a fresh listing, for the providers (and the fallback) that have
 * no cheaper way to read where a digest or a tag is now than listing its repository again.
 */
import type { CurrentTags, WantedNow } from './provider.ts';

/** The wanted digests and tags as a listing shows them: digest → its tags, tag → its digest. */
export async function currentTagsOf(
  listing: AsyncIterable<{ digest: string; tags: readonly string[] }>,
  wanted: WantedNow,
): Promise<CurrentTags> {
  const digests = new Set(wanted.digests);
  const tags = new Set(wanted.tags);
  const now: CurrentTags = { ofDigest: new Map(), ofTag: new Map() };
  for await (const { digest, tags: on } of listing) {
    // A registry may list a digest twice (Quay lists tags): merge rather than overwrite.
    if (digests.has(digest)) now.ofDigest.set(digest, [...(now.ofDigest.get(digest) ?? []), ...on]);
    for (const tag of on) if (tags.has(tag)) now.ofTag.set(tag, digest);
  }
  return now;
}
