import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type QuayHarness, startQuay } from '../../../test/support/providers/quay.ts';
import { BadRequestError, NotFoundError } from '../http/errors.ts';
import type { Artifact } from '../provider.ts';

const T0 = Date.parse('2024-05-10T12:00:00Z');
let now = T0;
let h: QuayHarness;
beforeEach(async () => {
  now = T0;
  h = await startQuay({ repositoryPageSize: 2, now: () => now });
  h.sim.addOrganization('acme');
});
afterEach(() => h.close());

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

describe('QuayImages', () => {
  it('lists repositories across next_page tokens', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'team/f', 'team/g'];
    for (const name of names) h.sim.addRepository('acme', name);
    h.sim.addOrganization('other');
    h.sim.addRepository('other', 'x');
    expect(await collect(h.provider.images.listRepositories(h.registry('acme')))).toEqual(names);
    expect(h.sim.server.counts()['GET /api/v1/repository']).toBe(4);
  });

  it('lists artifacts across tag pages, one per digest, active tags only', async () => {
    for (let i = 0; i < 230; i++)
      h.sim.pushTag('acme', 'api', `t${i}`, { digest: digest(i % 115), pushedAt: T0 + i * 1000 });
    h.sim.pushTag('acme', 'api', 'gone', { digest: digest(999), pushedAt: T0 - 5000 });
    h.sim.repository('acme', 'api')?.tags.forEach((t) => {
      if (t.name === 'gone') t.end = T0 - 1000;
    });
    const artifacts = await collect(h.provider.images.listArtifacts(h.registry('acme'), 'api'));
    expect(h.sim.server.counts()['GET /api/v1/repository/:ns/:repo/tag/']).toBe(3);
    expect(artifacts).toHaveLength(115);
    const first = artifacts.find((a) => a.digest === digest(0)) as Artifact;
    expect(first.tags.sort()).toEqual(['t0', 't115']);
    expect(first.pushedAt).toEqual(new Date(T0 + 115_000));
    expect(first.sizeBytes).toBe(1024);
    expect(artifacts.some((a) => a.digest === digest(999))).toBe(false);
  });

  it('pages tags with page/limit/has_additional in the API', async () => {
    for (let i = 0; i < 5; i++) h.sim.pushTag('acme', 'api', `t${i}`, { pushedAt: T0 + i });
    const pages = [1, 2, 3].map((page) => h.provider.api.listTags('acme', 'api', { page, limit: 2 }));
    const [p1, p2, p3] = await Promise.all(pages);
    expect([p1?.tags.map((t) => t.name), p2?.tags.map((t) => t.name), p3?.tags.map((t) => t.name)]).toEqual([
      ['t4', 't3'],
      ['t2', 't1'],
      ['t0'],
    ]);
    expect([p1?.has_additional, p2?.has_additional, p3?.has_additional]).toEqual([true, true, false]);
    expect(p3?.page).toBe(3);
  });

  it('deletes tags idempotently and reports immutable ones as failed', async () => {
    h.sim.pushTag('acme', 'api', 'old');
    h.sim.pushTag('acme', 'api', 'pinned', { immutable: true });
    h.sim.pushTag('acme', 'api', 'keep');
    const result = await h.provider.images.deleteTags(h.registry('acme'), 'api', [
      'old',
      'pinned',
      'never-there',
    ]);
    // A tag that was not there is no failure, and no deletion either (issue 22 item 3).
    expect(result).toEqual({ failed: ['pinned'], gone: ['never-there'] });
    expect(h.sim.activeTags('acme', 'api').sort()).toEqual(['keep', 'pinned']);
    await expect(h.provider.images.deleteTags(h.registry('acme'), 'api', ['old'])).resolves.toEqual({
      failed: [],
      gone: ['old'],
    });
  });

  it('deletes a digest by deleting every tag that points to it', async () => {
    h.sim.pushTag('acme', 'api', 'a', { digest: digest(1) });
    h.sim.pushTag('acme', 'api', 'b', { digest: digest(1) });
    h.sim.pushTag('acme', 'api', 'c', { digest: digest(2) });
    h.sim.pushTag('acme', 'api', 'd', { digest: digest(3), immutable: true });
    const result = await h.provider.images.deleteDigests(h.registry('acme'), 'api', [digest(1), digest(3)]);
    expect(result).toEqual({ failed: [digest(3)], gone: [] });
    expect(h.sim.activeTags('acme', 'api').sort()).toEqual(['c', 'd']);
    // Deleted before: no active tag left, so gone, not deleted again.
    await expect(
      h.provider.images.deleteDigests(h.registry('acme'), 'api', [digest(1), digest(2)]),
    ).resolves.toEqual({ failed: [], gone: [digest(1)] });
  });

  it('sets, clears and enforces tag expiration; expired tags leave the listing', async () => {
    h.sim.pushTag('acme', 'api', 'v1');
    const at = new Date(T0 + 3_600_000);
    await h.provider.images.setTagExpiration(h.registry('acme'), 'api', 'v1', at);
    expect(h.sim.repository('acme', 'api')?.tags[0]?.end).toBe(at.getTime());
    await h.provider.images.setTagExpiration(h.registry('acme'), 'api', 'v1', null);
    expect(h.sim.repository('acme', 'api')?.tags[0]?.end).toBeUndefined();

    await expect(
      h.provider.images.setTagExpiration(h.registry('acme'), 'api', 'v1', new Date(T0 - 1000)),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(
      h.provider.images.setTagExpiration(h.registry('acme'), 'api', 'nope', at),
    ).rejects.toBeInstanceOf(NotFoundError);

    await h.provider.images.setTagExpiration(h.registry('acme'), 'api', 'v1', at);
    now = at.getTime() + 1;
    expect(await collect(h.provider.images.listArtifacts(h.registry('acme'), 'api'))).toEqual([]);
  });

  it('answers 404 for the tags of a missing repository', async () => {
    await expect(
      collect(h.provider.images.listArtifacts(h.registry('acme'), 'ghost')),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('QuayImages.currentTags (issue 22: re-check right before a batch)', () => {
  const TAGS = 'GET /api/v1/repository/:ns/:repo/tag/';

  it('for digests, lists the active tags once: a tag moved onto a digest shows on it, a digest without tags is gone', async () => {
    h.sim.pushTag('acme', 'api', 'a', { digest: digest(1), pushedAt: T0 });
    h.sim.pushTag('acme', 'api', 'prod', { digest: digest(2), pushedAt: T0 });
    h.sim.pushTag('acme', 'api', 'old', { digest: digest(3), pushedAt: T0 });
    // After the listing: prod rolled back onto digest 1, old deleted (into the time machine).
    now = T0 + 60_000;
    h.sim.pushTag('acme', 'api', 'prod', { digest: digest(1) });
    await h.provider.images.deleteTags(h.registry('acme'), 'api', ['old']);
    const before = h.sim.server.counts()[TAGS] ?? 0;

    const current = await h.provider.images.currentTags(h.registry('acme'), 'api', {
      digests: [digest(1), digest(3)],
      tags: ['prod'],
    });

    expect([...current.ofDigest.keys()]).toEqual([digest(1)]);
    expect(current.ofDigest.get(digest(1))?.sort()).toEqual(['a', 'prod']);
    expect(current.ofTag).toEqual(new Map([['prod', digest(1)]]));
    expect((h.sim.server.counts()[TAGS] ?? 0) - before).toBe(1);
  });

  it('for tags alone, asks for each by name (specificTag), active only, not the whole repository', async () => {
    for (let i = 0; i < 250; i++) h.sim.pushTag('acme', 'api', `t${i}`, { pushedAt: T0 + i });
    h.sim.pushTag('acme', 'api', 'prod', { digest: digest(1), pushedAt: T0 });
    h.sim.pushTag('acme', 'api', 'gone', { digest: digest(2), pushedAt: T0 });
    now = T0 + 60_000;
    h.sim.pushTag('acme', 'api', 'prod', { digest: digest(4) });
    await h.provider.images.deleteTags(h.registry('acme'), 'api', ['gone']);
    const before = h.sim.server.counts()[TAGS] ?? 0;

    const current = await h.provider.images.currentTags(h.registry('acme'), 'api', {
      digests: [],
      tags: ['prod', 'gone'],
    });

    // The history still holds prod on digest 1 and gone: only the active rows count.
    expect(current.ofTag).toEqual(new Map([['prod', digest(4)]]));
    expect((h.sim.server.counts()[TAGS] ?? 0) - before).toBe(2);
  });
});
