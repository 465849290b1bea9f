/**
 * What a cleanup run evaluates: the artifacts of every repository the policy covers. One
 * repository whose images cannot be listed (after the HTTP client's retries) is skipped with a
 * reason, so that it does not keep the policy from cleaning all the others; a run that cannot list
 * the repositories themselves, or none of their images, fails as a whole.
 */
import {
  type Artifact,
  CredentialsError,
  type Images,
  ProviderError,
  RateLimitedError,
  type TokenRegistry,
  UnauthorizedError,
} from '../../clients/provider.ts';
import type { SkippedRepository } from '../../crds/cleanup-rules.ts';
import { matchesAny } from './glob.ts';

/** Longest reason recorded for a skipped repository (status keeps up to 256 characters). */
const MAX_REASON = 200;

/** The artifacts of the covered repositories, and those skipped because listing them failed. */
export interface Listing {
  artifacts: Artifact[];
  /** In listing order, every one; status keeps the first MAX_SKIPPED_REPOSITORIES. */
  skipped: SkippedRepository[];
}

/**
 * A failure that concerns one repository only. Refused credentials and a provider asking to slow
 * down concern the whole run (every further repository would fail, or make it worse), and anything
 * that is not a provider error (a cancelled run, a bug) is not berth's to skip over.
 */
function skippable(err: unknown): err is ProviderError {
  return (
    err instanceof ProviderError &&
    !(err instanceof UnauthorizedError) &&
    !(err instanceof CredentialsError) &&
    !(err instanceof RateLimitedError)
  );
}

/** The reason recorded for a skipped repository: the provider error's message (safe by construction), cut short. */
function reasonOf(err: ProviderError): string {
  const message = err.message.replace(/\s+/g, ' ').trim();
  return message.length > MAX_REASON ? `${message.slice(0, MAX_REASON - 1)}…` : message;
}

/**
 * Lists the repositories of `registry` that `filter` covers and each one's artifacts. A covered
 * repository whose artifacts fail to list is skipped (see {@link skippable}); when every covered
 * repository failed, the first failure is thrown, as a run that listed nothing has nothing to do.
 */
export async function listCovered(
  images: Pick<Images, 'listRepositories' | 'listArtifacts'>,
  registry: TokenRegistry,
  filter: { include: string[]; exclude?: string[] | undefined },
): Promise<Listing> {
  const artifacts: Artifact[] = [];
  const skipped: SkippedRepository[] = [];
  let listed = 0;
  let firstFailure: unknown;
  for await (const repository of images.listRepositories(registry)) {
    if (!matchesAny(filter.include, repository) || matchesAny(filter.exclude ?? [], repository)) continue;
    // Collected apart, so a repository that fails half way adds none of its artifacts: planning on
    // part of a repository would misjudge keepLast.
    const own: Artifact[] = [];
    try {
      for await (const artifact of images.listArtifacts(registry, repository)) own.push(artifact);
    } catch (err) {
      if (!skippable(err)) throw err;
      firstFailure ??= err;
      skipped.push({ repository, reason: reasonOf(err) });
      continue;
    }
    listed += 1;
    artifacts.push(...own);
  }
  if (listed === 0 && firstFailure !== undefined) throw firstFailure;
  return { artifacts, skipped };
}

/** How many skipped repositories a Ready message or event names before "and N more". */
const NAMED = 5;

/** `a, b and 3 more`: at most {@link NAMED} names, `total` counting those status no longer keeps. */
function skippedNames(skipped: readonly SkippedRepository[], total: number): string {
  const names = skipped.slice(0, NAMED).map((s) => s.repository);
  const more = total - names.length;
  return more > 0 ? `${names.join(', ')} and ${more} more` : names.join(', ');
}

/**
 * `; skipped 2 repositories whose images could not be listed: a, b` for a run summary (Ready
 * message and event), or nothing when the run skipped none.
 */
export function skippedPhrase(run: {
  repositoriesSkipped?: number | undefined;
  skippedRepositories?: readonly SkippedRepository[] | undefined;
}): string {
  const count = run.repositoriesSkipped ?? 0;
  if (count === 0) return '';
  const what = count === 1 ? 'repository' : 'repositories';
  return `; skipped ${count} ${what} whose images could not be listed: ${skippedNames(run.skippedRepositories ?? [], count)}`;
}
