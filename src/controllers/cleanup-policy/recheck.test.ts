import { describe, expect, it } from 'vitest';
import type { Artifact, CurrentTags, Images, TokenRegistry, WantedNow } from '../../clients/provider.ts';
import { ConnectionError } from '../../clients/provider.ts';
import type { Decision } from './plan.ts';
import { recheck } from './recheck.ts';

// Issue 22 item 2: a deletion is held against the registry as it is right before the delete.

const registry = { externalId: 'r1', name: 'shop', server: 'r1.example' } as unknown as TokenRegistry;
const D = `sha256:${'d'.repeat(64)}`;
const E = `sha256:${'e'.repeat(64)}`;

const manifest = (tags: string[], digest = D): Decision => ({
  action: 'delete-manifest',
  repository: 'app',
  digest,
  tags,
  reason: 'older than 30d',
});
const tag = (name: string, digest = D): Decision => ({
  action: 'delete-tag',
  repository: 'app',
  tag: name,
  digest,
  reason: 'not among the 2 newest',
});

/** Images whose `currentTags` answers from a map of digest → tags, recording what it was asked. */
function fake(registryNow: Record<string, string[]>, asked: WantedNow[] = []): { images: Images } {
  const images: Images = {
    listRepositories: async function* () {},
    listArtifacts: async function* () {},
    currentTags: async (_r, _repo, wanted): Promise<CurrentTags> => {
      asked.push(wanted);
      const now: CurrentTags = { ofDigest: new Map(), ofTag: new Map() };
      for (const [digest, tags] of Object.entries(registryNow)) {
        if (wanted.digests.includes(digest)) now.ofDigest.set(digest, tags);
        for (const t of tags) if (wanted.tags.includes(t)) now.ofTag.set(t, digest);
      }
      return now;
    },
  };
  return { images };
}

describe('recheck', () => {
  it('deletes a manifest whose tags are as listed, asking only for what it deletes', async () => {
    const asked: WantedNow[] = [];
    const d = manifest(['v1', 'v2']);
    const out = await recheck({ provider: fake({ [D]: ['v2', 'v1'] }, asked), registry }, 'app', [d]);
    expect(out).toEqual({ proceed: [d], settled: [] });
    expect(asked).toEqual([{ digests: [D], tags: [] }]);
  });

  it('keeps a manifest that carries a tag added since the listing (a rollback re-tag of prod)', async () => {
    const out = await recheck({ provider: fake({ [D]: ['v1', 'prod'] }), registry }, 'app', [
      manifest(['v1']),
    ]);
    expect(out.proceed).toEqual([]);
    expect(out.settled).toEqual([
      expect.objectContaining({ digest: D, action: 'Kept', reason: 'tag prod was added since the listing' }),
    ]);
  });

  it('keeps an untagged manifest that was tagged since the listing, naming every new tag', async () => {
    const out = await recheck({ provider: fake({ [D]: ['prod', 'rc'] }), registry }, 'app', [manifest([])]);
    expect(out.settled).toEqual([
      expect.objectContaining({ action: 'Kept', reason: 'tags prod, rc were added since the listing' }),
    ]);
  });

  it('deletes with the tags still on it when some moved away, and keeps it when none is left', async () => {
    const fewer = await recheck({ provider: fake({ [D]: ['v1'] }), registry }, 'app', [
      manifest(['v1', 'v2']),
    ]);
    expect(fewer.proceed).toEqual([{ ...manifest(['v1']) }]);

    const none = await recheck({ provider: fake({ [D]: [] }), registry }, 'app', [manifest(['v1'])]);
    expect(none.proceed).toEqual([]);
    expect(none.settled[0]).toMatchObject({
      action: 'Kept',
      reason: expect.stringContaining('untagged now'),
    });
  });

  it('reports a manifest gone since the listing as AlreadyGone without deleting it', async () => {
    const out = await recheck({ provider: fake({}), registry }, 'app', [manifest(['v1'])]);
    expect(out.proceed).toEqual([]);
    expect(out.settled).toEqual([
      expect.objectContaining({ digest: D, tags: ['v1'], action: 'AlreadyGone' }),
    ]);
  });

  it('keeps a tag that moved to another digest, deletes one that did not, and reports a gone one', async () => {
    const decisions = [tag('prod'), tag('v1'), tag('old')];
    const out = await recheck({ provider: fake({ [D]: ['v1'], [E]: ['prod'] }), registry }, 'app', decisions);
    expect(out.proceed).toEqual([tag('v1')]);
    expect(out.settled).toEqual([
      expect.objectContaining({
        tag: 'prod',
        action: 'Kept',
        reason: `tag prod moved to ${E} since the listing`,
      }),
      expect.objectContaining({ tag: 'old', action: 'AlreadyGone' }),
    ]);
  });

  it('keeps everything, saying why, when the re-check itself fails: nothing is deleted unchecked', async () => {
    const { images } = fake({ [D]: ['v1'] });
    images.currentTags = async () => {
      const where = { provider: 'ionos' as const, operation: 'artifacts.get', method: 'GET', path: '/x' };
      throw new ConnectionError('ionos artifacts.get: connection reset', where);
    };
    const out = await recheck({ provider: { images }, registry }, 'app', [manifest(['v1']), tag('v2')]);
    expect(out.proceed).toEqual([]);
    expect(out.settled.map((i) => [i.action, i.reason])).toEqual([
      [
        'Kept',
        'could not re-check it before deleting: ConnectionError: ionos artifacts.get: connection reset',
      ],
      [
        'Kept',
        'could not re-check it before deleting: ConnectionError: ionos artifacts.get: connection reset',
      ],
    ]);
  });

  it('lists the repository again where the provider has no cheaper way', async () => {
    const listed: Artifact[] = [
      { repository: 'app', digest: D, tags: ['v1', 'prod'], pushedAt: new Date(0) },
    ];
    const images: Images = {
      listRepositories: async function* () {},
      listArtifacts: async function* () {
        yield* listed;
      },
    };
    const out = await recheck({ provider: { images }, registry }, 'app', [manifest(['v1'])]);
    expect(out.settled).toEqual([
      expect.objectContaining({ reason: 'tag prod was added since the listing' }),
    ]);
  });
});
