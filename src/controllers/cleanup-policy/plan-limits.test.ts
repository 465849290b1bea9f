import { describe, expect, it } from 'vitest';
import { art, arts, type Case, check, deletionLine, input, keepMap, rules } from './plan.fixtures.ts';
import { LIMIT_REASON, plan } from './plan.ts';

const by = (reason: string, ...lines: string[]) => lines.map((l) => `${l} (${reason})`);

const cases: [string, Case][] = [
  [
    'the oldest are deleted, the rest kept, stoppedAtLimit',
    {
      artifacts: 'shop d1 v1 9d; shop d2 v2 8d; shop d3 v3 7d; shop d4 v4 6d; shop d5 v5 5d',
      rules: { olderThan: '24h' },
      maxDeletions: 2,
      stoppedAtLimit: true,
      deleted: by('older than 24h', 'manifest shop@d1[v1]', 'manifest shop@d2[v2]'),
      kept: { 'shop:v3': LIMIT_REASON, 'shop:v4': LIMIT_REASON, 'shop:v5': LIMIT_REASON },
    },
  ],
  [
    'the oldest across repositories; output by repository',
    {
      artifacts: 'a d1 x 3d; a d2 y 20d; b d3 z 10d; b d4 w 30d',
      rules: { olderThan: '24h' },
      maxDeletions: 3,
      stoppedAtLimit: true,
      deleted: by('older than 24h', 'manifest a@d2[y]', 'manifest b@d4[w]', 'manifest b@d3[z]'),
      kept: { 'a:x': LIMIT_REASON },
    },
  ],
  [
    'each tag deletion counts; a cut manifest keeps all its tags',
    {
      artifacts: 'shop d1 p,q,keep 9d; shop d2 r,s 5d',
      rules: { olderThan: '24h', keepTags: ['keep'] },
      maxDeletions: 2,
      stoppedAtLimit: true,
      deleted: by('older than 24h', 'tag shop:p@d1', 'tag shop:q@d1'),
      kept: { 'shop:keep': 'keepTags keep', 'shop:r': LIMIT_REASON, 'shop:s': LIMIT_REASON },
    },
  ],
  [
    'a cut untagged manifest is kept as a manifest',
    {
      artifacts: 'shop d1 - 9d; shop d2 - 5d',
      rules: { olderThan: '24h', untagged: 'Delete' },
      maxDeletions: 1,
      stoppedAtLimit: true,
      deleted: by('untagged, older than 24h', 'manifest shop@d1[]'),
      kept: { 'shop@d2': LIMIT_REASON },
    },
  ],
  [
    'exactly reached is not stoppedAtLimit',
    {
      artifacts: 'shop d1 v1 10d; shop d2 v2 9d',
      rules: { keepLast: 0 },
      maxDeletions: 2,
      deleted: by('beyond keepLast 0', 'manifest shop@d1[v1]', 'manifest shop@d2[v2]'),
      kept: {},
      stoppedAtLimit: false,
    },
  ],
  [
    '0 deletes nothing and says so',
    {
      artifacts: 'shop d1 v1 10d; shop d2 v2 9d',
      rules: { keepLast: 1 },
      maxDeletions: 0,
      deleted: [],
      kept: { 'shop:v2': 'keepLast 1', 'shop:v1': LIMIT_REASON },
      stoppedAtLimit: true,
    },
  ],
  [
    'no artifacts: an empty plan',
    { artifacts: [], rules: { keepLast: 1 }, deleted: [], kept: {}, evaluated: 0, bytesFreed: 0 },
  ],
  [
    'bytesFreed sums the known sizes of deleted manifests only',
    {
      artifacts: 'shop d1 a 9d 100; shop d2 b 8d; shop d3 - 7d 30; shop d4 c,keep 9d 5000',
      bytesFreed: 130,
      rules: { olderThan: '24h', untagged: 'Delete', keepTags: ['keep'] },
      deleted: by('older than 24h', 'manifest shop@d1[a]', 'tag shop:c@d4', 'manifest shop@d2[b]').concat(
        'manifest shop@d3[] (untagged, older than 24h)',
      ),
      kept: { 'shop:keep': 'keepTags keep' },
    },
  ],
  [
    'bytesFreed counts only the deletions within the limit',
    {
      artifacts: 'shop d1 a 9d 100; shop d2 b 8d 10',
      rules: { olderThan: '24h' },
      maxDeletions: 1,
      stoppedAtLimit: true,
      bytesFreed: 100,
      deleted: by('older than 24h', 'manifest shop@d1[a]'),
      kept: { 'shop:b': LIMIT_REASON },
    },
  ],
];

describe('plan: maxDeletionsPerRun and bytesFreed', () => {
  it.each(cases)('%s', (_name, c) => check(c));
});

describe('plan: output shape', () => {
  it('orders keeps by repository, then newest first', () => {
    const artifacts = [
      art('b', 'd1', 'v1', '9d'),
      art('a', 'd1', 'v1', '9d'),
      art('a', 'd3', 'v3', '1d'),
      art('a', 'd2', 'v2', '5d'),
    ];
    const result = plan(input(artifacts, { rules: rules({ keepLast: 5 }) }));
    expect(result.keeps.map((k) => `${k.repository}:${k.action === 'keep' ? k.tag : ''}`)).toEqual([
      'a:v3',
      'a:v2',
      'a:v1',
      'b:v1',
    ]);
  });

  it('carries the size on a manifest deletion, and none on a tag deletion', () => {
    const artifacts = [art('s', 'd1', 'a', '9d', 42), art('s', 'd2', 'b k', '9d', 7)];
    const result = plan(input(artifacts, { rules: rules({ keepLast: 0, keepTags: ['k'] }) }));
    expect(result.deletions).toEqual([
      {
        action: 'delete-manifest',
        repository: 's',
        digest: 'd1',
        tags: ['a'],
        reason: 'beyond keepLast 0',
        sizeBytes: 42,
      },
      { action: 'delete-tag', repository: 's', tag: 'b', digest: 'd2', reason: 'beyond keepLast 0' },
    ]);
  });

  it('does not change its input', () => {
    const artifacts = [art('s', 'd1', 'b a', '9d', 42), art('s', 'd1', 'c', '9d')];
    const copy = structuredClone(artifacts);
    plan(input(artifacts, { rules: rules({ keepLast: 0 }) }));
    expect(artifacts).toEqual(copy);
  });
});

describe('plan: providers that cannot delete a single tag (singleTagRefusal)', () => {
  const artifacts = arts('shop d1 v1,latest 10d; shop d2 v2 10d');
  const retention = rules({ olderThan: '24h', keepTags: ['latest'] });

  it('keeps a tag whose manifest keeps another tag, naming that tag, and spends no deletion place on it', () => {
    const refusing = plan(
      input(artifacts, { rules: retention, maxDeletions: 1, singleTagRefusal: 'the image may go too' }),
    );
    expect(refusing.deletions.map(deletionLine)).toEqual(['manifest shop@d2[v2] (older than 24h)']);
    expect(keepMap(refusing)).toEqual({
      'shop:latest': 'keepTags latest',
      'shop:v1': 'digest also carries kept tag latest; the image may go too',
    });
    expect(refusing.stoppedAtLimit).toBe(false);
    // Where single tags can be deleted, the same input deletes v1 alone and meets the limit.
    const deleting = plan(input(artifacts, { rules: retention, maxDeletions: 1 }));
    expect(deleting.deletions.map(deletionLine)).toEqual(['tag shop:v1@d1 (older than 24h)']);
    expect(deleting.stoppedAtLimit).toBe(true);
  });

  it('names the first kept tag by name and counts the others', () => {
    const p = plan(
      input(arts('shop d1 v1,stable,latest 10d'), {
        rules: rules({ olderThan: '24h', keepTags: ['latest', 'stable'] }),
        singleTagRefusal: 'no',
      }),
    );
    expect(p.deletions).toEqual([]);
    expect(keepMap(p)['shop:v1']).toBe('digest also carries kept tag latest and 1 more; no');
  });
});
