import { describe, expect, it } from 'vitest';
import { graphKey, type ManifestReading } from './graph.ts';
import { arts, deletionLine, input, keepMap, rules } from './plan.fixtures.ts';
import { type Decision, plan } from './plan.ts';

// Digests in the sha256 form, since cosign-style tags name their subject by its hex.
const hex = (c: string) => c.repeat(64);
const D = (c: string) => `sha256:${hex(c)}`;
const INDEX = 'application/vnd.oci.image.index.v1+json';
const IMAGE = 'application/vnd.oci.image.manifest.v1+json';
const short = (c: string) => `sha256:${hex(c).slice(0, 12)}`;

/** A graph from `digest → facts` of repository `app`. */
function graph(entries: Record<string, ManifestReading>): Map<string, ManifestReading> {
  return new Map(Object.entries(entries).map(([d, r]) => [graphKey('app', d), r]));
}
const image = (subject?: string): ManifestReading => ({ mediaType: IMAGE, children: [], subject });
const index = (...children: string[]): ManifestReading => ({ mediaType: INDEX, children });

// A multi-arch index tagged `multi` (newest), its two untagged platform manifests, an old image
// `v1`, and an untagged leftover `u`: keepLast 1, untagged Delete.
const multiArch = () => {
  const list = arts(
    `app ${D('i')} multi 5h; app ${D('a')} - 5h; app ${D('b')} - 5h; app ${D('o')} v1 9d; app ${D('u')} - 9d`,
  );
  for (const a of list) a.mediaType = a.digest === D('i') ? INDEX : IMAGE;
  return list;
};
const multiRules = rules({ keepLast: 1, untagged: 'Delete', minAge: '1h' });
const lines = (ds: Decision[]) => ds.map(deletionLine);

describe('plan: index children and referrers', () => {
  it('keeps the platform manifests of a kept index, and says which index', () => {
    const g = graph({
      [D('i')]: index(D('a'), D('b')),
      [D('a')]: image(),
      [D('b')]: image(),
      [D('o')]: image(),
      [D('u')]: image(),
    });
    const result = plan(input(multiArch(), { rules: multiRules, graph: g }));
    expect(lines(result.deletions)).toEqual([
      `manifest app@${D('u')}[] (untagged)`,
      `manifest app@${D('o')}[v1] (beyond keepLast 1)`,
    ]);
    expect(keepMap(result)[`app@${D('a')}`]).toBe(`platform manifest of kept index ${short('i')}`);
    expect(result.keeps.find((k) => k.digest === D('b'))?.of).toBe(D('i'));
  });

  it('without the graph (a first plan) the children look like any untagged manifest', () => {
    const result = plan(input(multiArch(), { rules: multiRules }));
    expect(result.deletions.map((d) => d.digest)).toContain(D('a'));
  });

  it('deletes the children of a deleted index with it when untagged manifests are deleted', () => {
    const list = multiArch().map((a) => (a.digest === D('i') ? { ...a, tags: ['old-multi'] } : a));
    list.push(
      ...arts(`app ${D('n')} new 1h`).map((a) => ({ ...a, pushedAt: new Date(a.pushedAt.getTime() + 1) })),
    );
    const g = graph({
      [D('i')]: index(D('a'), D('b')),
      [D('a')]: image(),
      [D('b')]: image(),
      [D('o')]: image(),
      [D('u')]: image(),
      [D('n')]: image(),
    });
    const result = plan(
      input(list, { rules: rules({ keepLast: 1, untagged: 'Delete', minAge: '30m' }), graph: g }),
    );
    expect(result.deletions.map((d) => d.digest).sort()).toEqual(
      [D('a'), D('b'), D('i'), D('o'), D('u')].sort(),
    );
  });

  it('an index that cannot be read, or answers 404 though listed, keeps every manifest of its repository', () => {
    for (const reading of [{ unreadable: 'ConnectionError: refused' }, 'gone'] as ManifestReading[]) {
      const g = graph({
        [D('i')]: reading,
        [D('a')]: image(),
        [D('b')]: image(),
        [D('o')]: image(),
        [D('u')]: image(),
      });
      const result = plan(input(multiArch(), { rules: multiRules, graph: g }));
      // v1 too: a tagged platform manifest (`1.4-amd64`) would break the index as well.
      expect(lines(result.deletions)).toEqual([]);
      expect(keepMap(result)[`app@${D('u')}`]).toMatch(
        /could not be read, so its platform manifests are unknown/,
      );
      expect(keepMap(result)['app:v1']).toMatch(/could not be read/);
    }
  });

  it('names the deleted index on its deleted platform manifests', () => {
    const list = multiArch().map((a) =>
      a.digest === D('i') ? { ...a, pushedAt: new Date(a.pushedAt.getTime() - 9 * 86_400_000) } : a,
    );
    list.push(...arts(`app ${D('n')} new 1h`));
    const g = graph({
      [D('i')]: index(D('a'), D('b')),
      [D('a')]: image(),
      [D('b')]: image(),
      [D('o')]: image(),
      [D('u')]: image(),
      [D('n')]: image(),
    });
    const result = plan(
      input(list, { rules: rules({ keepLast: 1, untagged: 'Delete', minAge: '30m' }), graph: g }),
    );
    expect(result.deletions.find((d) => d.digest === D('a'))?.of).toBe(D('i'));
    expect(result.deletions.find((d) => d.digest === D('u'))?.of).toBeUndefined();
  });

  it('a deletion the graph does not cover is kept for a later run', () => {
    const g = graph({
      [D('i')]: index(D('a'), D('b')),
      [D('a')]: image(),
      [D('b')]: image(),
      [D('o')]: image(),
    });
    const result = plan(input(multiArch(), { rules: multiRules, graph: g }));
    expect(keepMap(result)[`app@${D('u')}`]).toBe('not yet checked for references; a later run decides');
  });

  // app-v3 (newest image), its cosign signature pushed after it, then v2 and v1.
  const signed = () =>
    arts(
      `app ${D('3')} app-v3 3d; app ${D('s')} sha256-${hex('3')}.sig 2d; app ${D('2')} v2 5d; app ${D('1')} v1 9d`,
    );

  it('a signature tag takes no keepLast place and stays with its kept image', () => {
    const result = plan(input(signed(), { rules: rules({ keepLast: 2 }) }));
    expect(lines(result.deletions)).toEqual([`manifest app@${D('1')}[v1] (beyond keepLast 2)`]);
    expect(keepMap(result)).toEqual({
      'app:app-v3': 'keepLast 2',
      'app:v2': 'keepLast 2',
      [`app:sha256-${hex('3')}.sig`]: `signature of kept ${short('3')}`,
    });
  });

  it('a signature goes with the image it signs', () => {
    const list = signed().map((a) =>
      a.digest === D('3') ? { ...a, pushedAt: new Date(a.pushedAt.getTime() - 10 * 86_400_000) } : a,
    );
    const result = plan(input(list, { rules: rules({ keepLast: 1 }) }));
    const sig = result.deletions.find((d) => d.digest === D('s'));
    expect(sig?.reason).toBe(`signature of deleted ${short('3')}`);
    expect(sig?.of).toBe(D('3'));
    expect(result.deletions.map((d) => d.digest)).toContain(D('3'));
  });

  it('an untagged OCI 1.1 referrer of a kept image stays even when untagged manifests are deleted', () => {
    const list = [...signed(), ...arts(`app ${D('r')} - 8d`)];
    const g = graph({
      [D('r')]: image(D('3')),
      [D('1')]: image(),
      [D('2')]: image(),
      [D('3')]: image(),
      [D('s')]: image(),
    });
    const result = plan(input(list, { rules: rules({ keepLast: 2, untagged: 'Delete' }), graph: g }));
    expect(keepMap(result)[`app@${D('r')}`]).toBe(`referrer of kept ${short('3')}`);
    expect(lines(result.deletions)).toEqual([`manifest app@${D('1')}[v1] (beyond keepLast 2)`]);
  });

  it('a referrer chosen while maxDeletionsPerRun spares its subject stays too', () => {
    // Equal push times order by name: the signature tag sorts before its subject z-old.
    const list = arts(
      `app ${D('f')} z-old 9d; app ${D('s')} sha256-${hex('f')}.sig 9d; app ${D('n')} new 1d`,
    );
    const result = plan(input(list, { rules: rules({ keepLast: 1 }), maxDeletions: 1 }));
    expect(result.deletions).toEqual([]);
    expect(keepMap(result)).toMatchObject({
      'app:z-old': 'maxDeletionsPerRun reached',
      [`app:sha256-${hex('f')}.sig`]: `signature of kept ${short('f')}`,
    });
    expect(result.stoppedAtLimit).toBe(true);
  });

  it('a signature whose image is gone is deleted when old enough; one whose image nobody knows is kept', () => {
    const list = arts(`app ${D('s')} sha256-${hex('e')}.sig 9d; app ${D('n')} new 1d`);
    const known = plan(input(list, { rules: rules({ keepLast: 1 }) }));
    expect(keepMap(known)[`app:sha256-${hex('e')}.sig`]).toBe(
      `signature of ${short('e')}, which the listing does not show`,
    );
    const g = graph({ [D('e')]: 'gone', [D('s')]: image() });
    const gone = plan(input(list, { rules: rules({ keepLast: 1 }), graph: g }));
    expect(lines(gone.deletions)).toEqual([
      `manifest app@${D('s')}[sha256-${hex('e')}.sig] (signature of ${short('e')}, which is gone)`,
    ]);
  });

  it('tags.include selects images, not their signatures: the signature of a deleted image goes', () => {
    const list = signed().map((a) =>
      a.digest === D('3') ? { ...a, pushedAt: new Date(a.pushedAt.getTime() - 10 * 86_400_000) } : a,
    );
    const result = plan(input(list, { rules: rules({ keepLast: 1, tags: { include: ['app-*', 'v*'] } }) }));
    expect(result.deletions.find((d) => d.digest === D('s'))?.reason).toBe(
      `signature of deleted ${short('3')}`,
    );
  });

  it('a tag rule that names the signature itself still keeps it', () => {
    const list = signed().map((a) =>
      a.digest === D('3') ? { ...a, pushedAt: new Date(a.pushedAt.getTime() - 10 * 86_400_000) } : a,
    );
    const result = plan(input(list, { rules: rules({ keepLast: 1, keepTags: ['*.sig'] }) }));
    expect(keepMap(result)[`app:sha256-${hex('3')}.sig`]).toBe('keepTags *.sig');
  });
});
