import { describe, expect, it } from 'vitest';
import { NotFoundError, type ProviderErrorContext, UnauthorizedError } from '../../clients/http/errors.ts';
import type { Artifact, Images, TokenRegistry } from '../../clients/provider.ts';
import { listCovered, skippedPhrase } from './listing.ts';

const context: ProviderErrorContext = { provider: 'quay', operation: 'tags.list', method: 'GET', path: '/x' };
const registry = {} as TokenRegistry;

/** Images whose listing of a repository throws what `failures` says, after one artifact. */
function images(
  repositories: string[],
  failures: Record<string, Error>,
): Pick<Images, 'listRepositories' | 'listArtifacts'> {
  return {
    async *listRepositories() {
      yield* repositories;
    },
    async *listArtifacts(_registry, repository): AsyncIterable<Artifact> {
      yield { repository, digest: `sha256:${repository}`, tags: ['v1'], pushedAt: new Date(0) };
      const failure = failures[repository];
      if (failure) throw failure;
    },
  };
}

describe('listCovered', () => {
  it('skips a repository that fails half way, adding none of its artifacts', async () => {
    const gone = new NotFoundError('quay tags.list failed with HTTP 404', context);
    const listing = await listCovered(images(['a', 'b', 'c'], { b: gone }), registry, { include: ['**'] });
    expect(listing.artifacts.map((a) => a.repository)).toEqual(['a', 'c']);
    expect(listing.skipped).toEqual([{ repository: 'b', reason: 'quay tags.list failed with HTTP 404' }]);
  });

  it('does not skip refused credentials or errors that are not the provider’s', async () => {
    const refused = new UnauthorizedError('quay tags.list failed with HTTP 401', context);
    await expect(listCovered(images(['a', 'b'], { b: refused }), registry, { include: ['**'] })).rejects.toBe(
      refused,
    );
    const bug = new TypeError('oops');
    await expect(listCovered(images(['a', 'b'], { a: bug }), registry, { include: ['**'] })).rejects.toBe(
      bug,
    );
  });

  it('lists only covered repositories, so an excluded failing one does not count', async () => {
    const gone = new NotFoundError('gone', context);
    const listing = await listCovered(images(['a', 'b'], { b: gone }), registry, {
      include: ['**'],
      exclude: ['b'],
    });
    expect(listing).toEqual({ artifacts: [expect.objectContaining({ repository: 'a' })], skipped: [] });
  });
});

describe('skippedPhrase', () => {
  it('names up to five repositories and counts the rest, including those status no longer keeps', () => {
    const skippedRepositories = ['a', 'b', 'c', 'd', 'e', 'f'].map((repository) => ({
      repository,
      reason: 'x',
    }));
    expect(skippedPhrase({ repositoriesSkipped: 30, skippedRepositories })).toBe(
      '; skipped 30 repositories whose images could not be listed: a, b, c, d, e and 25 more',
    );
    expect(skippedPhrase({})).toBe('');
  });
});
