import { describe, it } from 'vitest';
import { arts, type Case, check } from './plan.fixtures.ts';

// Reasons are part of the contract (status.lastRunItems shows them), so every case spells them out.
const four = 'shop d1 v1 4d; shop d2 v2 3d; shop d3 v3 2d; shop d4 v4 1d';
const old = (repo: string) => `${repo} d1 v1 10d; ${repo} d2 v2 9d`;
const by = (reason: string, ...lines: string[]) => lines.map((l) => `${l} (${reason})`);

const cases: [string, Case][] = [
  [
    'keepLast only',
    {
      artifacts: four,
      rules: { keepLast: 2 },
      evaluated: 4,
      deleted: by('beyond keepLast 2', 'manifest shop@d1[v1]', 'manifest shop@d2[v2]'),
      kept: { 'shop:v4': 'keepLast 2', 'shop:v3': 'keepLast 2' },
    },
  ],
  [
    'olderThan only; exactly olderThan old is kept',
    {
      artifacts: four,
      rules: { olderThan: '48h' },
      deleted: by('older than 48h', 'manifest shop@d1[v1]', 'manifest shop@d2[v2]'),
      kept: { 'shop:v4': 'younger than olderThan 48h', 'shop:v3': 'younger than olderThan 48h' },
    },
  ],
  [
    'keepLast and olderThan must agree (olderThan decides)',
    {
      artifacts: four,
      rules: { keepLast: 1, olderThan: '60h' },
      deleted: by('beyond keepLast 1, older than 60h', 'manifest shop@d1[v1]', 'manifest shop@d2[v2]'),
      kept: { 'shop:v4': 'keepLast 1', 'shop:v3': 'younger than olderThan 60h' },
    },
  ],
  [
    'keepLast and olderThan must agree (keepLast decides)',
    {
      artifacts: four,
      rules: { keepLast: 3, olderThan: '1h' },
      deleted: by('beyond keepLast 3, older than 1h', 'manifest shop@d1[v1]'),
      kept: { 'shop:v4': 'keepLast 3', 'shop:v3': 'keepLast 3', 'shop:v2': 'keepLast 3' },
    },
  ],
  [
    'keepLast 0 with olderThan deletes every old tag',
    {
      artifacts: four,
      rules: { keepLast: 0, olderThan: '60h' },
      deleted: by('beyond keepLast 0, older than 60h', 'manifest shop@d1[v1]', 'manifest shop@d2[v2]'),
      kept: { 'shop:v4': 'younger than olderThan 60h', 'shop:v3': 'younger than olderThan 60h' },
    },
  ],
  [
    'keepLast larger than the tag count keeps everything',
    {
      artifacts: four,
      rules: { keepLast: 10 },
      deleted: [],
      kept: {
        'shop:v1': 'keepLast 10',
        'shop:v2': 'keepLast 10',
        'shop:v3': 'keepLast 10',
        'shop:v4': 'keepLast 10',
      },
    },
  ],
  [
    'keepTags are never deleted and use no keepLast place',
    {
      artifacts: 'shop d0 latest 10d; shop d1 v1.0 9d; shop d2 v2.0 8d; shop d3 v2.1 7d; shop d4 v3.0 6d',
      rules: { keepLast: 1, keepTags: ['latest', 'v1.*'] },
      deleted: by('beyond keepLast 1', 'manifest shop@d2[v2.0]', 'manifest shop@d3[v2.1]'),
      kept: { 'shop:v3.0': 'keepLast 1', 'shop:latest': 'keepTags latest', 'shop:v1.0': 'keepTags v1.*' },
    },
  ],
  [
    'tags.include restricts the rules; keepLast counts included tags only',
    {
      artifacts: 'shop d1 pr-1 5d; shop d2 pr-2 4d; shop d3 pr-3 3d; shop d4 main 6d; shop d5 v1 7d',
      rules: { keepLast: 1, tags: { include: ['pr-*'] } },
      deleted: by('beyond keepLast 1', 'manifest shop@d1[pr-1]', 'manifest shop@d2[pr-2]'),
      kept: {
        'shop:pr-3': 'keepLast 1',
        'shop:main': 'not in tags.include',
        'shop:v1': 'not in tags.include',
      },
    },
  ],
  [
    'tags.exclude is never touched',
    {
      artifacts: 'shop d1 release-1 10d; shop d2 dev-1 10d',
      rules: { olderThan: '24h', tags: { exclude: ['release-*'] } },
      deleted: by('older than 24h', 'manifest shop@d2[dev-1]'),
      kept: { 'shop:release-1': 'tags.exclude release-*' },
    },
  ],
  [
    'tags.include and tags.exclude together',
    {
      artifacts: 'shop d1 v1 10d; shop d2 v2-keep 10d; shop d3 x1 10d',
      rules: { olderThan: '24h', tags: { include: ['v*'], exclude: ['v*-keep'] } },
      deleted: by('older than 24h', 'manifest shop@d1[v1]'),
      kept: { 'shop:v2-keep': 'tags.exclude v*-keep', 'shop:x1': 'not in tags.include' },
    },
  ],
  [
    'an empty tags.include matches no tag',
    {
      artifacts: old('shop'),
      rules: { keepLast: 0, tags: { include: [] } },
      deleted: [],
      kept: { 'shop:v1': 'not in tags.include', 'shop:v2': 'not in tags.include' },
    },
  ],
  [
    'repositories.include: * stays within a segment; the rest is not evaluated',
    {
      artifacts: `${old('shop/api')}; ${old('shop/api/v2')}; ${old('other/api')}`,
      rules: { keepLast: 1 },
      repositories: { include: ['shop/*'] },
      evaluated: 2,
      deleted: by('beyond keepLast 1', 'manifest shop/api@d1[v1]'),
      kept: { 'shop/api:v2': 'keepLast 1' },
    },
  ],
  [
    'repositories.exclude wins over include',
    {
      artifacts: `${old('shop/api')}; ${old('shop/cache')}`,
      rules: { keepLast: 1 },
      repositories: { include: ['**'], exclude: ['shop/cache'] },
      evaluated: 2,
      deleted: by('beyond keepLast 1', 'manifest shop/api@d1[v1]'),
      kept: { 'shop/api:v2': 'keepLast 1' },
    },
  ],
  [
    '** crosses segments but needs its prefix segment',
    {
      artifacts: `${old('team/a/b/c')}; ${old('team')}`,
      rules: { keepLast: 1 },
      repositories: { include: ['team/**'] },
      evaluated: 2,
      deleted: by('beyond keepLast 1', 'manifest team/a/b/c@d1[v1]'),
      kept: { 'team/a/b/c:v2': 'keepLast 1' },
    },
  ],
  [
    'untagged Keep (the default) keeps untagged manifests',
    {
      artifacts: 'shop d1 - 30d; shop d2 v1 30d',
      rules: { keepLast: 1 },
      evaluated: 2,
      deleted: [],
      kept: { 'shop@d1': 'untagged: Keep', 'shop:v1': 'keepLast 1' },
    },
  ],
  [
    'untagged Delete deletes old untagged manifests; minAge still protects',
    {
      artifacts: 'shop d1 - 30d 500; shop d2 - 30m 700; shop d3 v1 30d',
      rules: { keepLast: 1, untagged: 'Delete' },
      deleted: by('untagged', 'manifest shop@d1[]'),
      bytesFreed: 500,
      kept: { 'shop@d2': 'younger than minAge 1h', 'shop:v1': 'keepLast 1' },
    },
  ],
  [
    'untagged Delete honours olderThan',
    {
      artifacts: 'shop d1 - 4d; shop d2 - 2d',
      rules: { olderThan: '72h', untagged: 'Delete' },
      deleted: by('untagged, older than 72h', 'manifest shop@d1[]'),
      kept: { 'shop@d2': 'younger than olderThan 72h' },
    },
  ],
  [
    'minAge protects a fresh push; exactly minAge old is kept',
    {
      artifacts: 'shop d1 old 2h; shop d2 edge 1h; shop d3 new 30m',
      rules: { keepLast: 0 },
      deleted: by('beyond keepLast 0', 'manifest shop@d1[old]'),
      kept: { 'shop:new': 'younger than minAge 1h', 'shop:edge': 'younger than minAge 1h' },
    },
  ],
  [
    'a long minAge outranks a short olderThan',
    {
      artifacts: 'shop d1 a 3d; shop d2 b 1d',
      rules: { olderThan: '1h', minAge: '48h' },
      deleted: by('older than 1h', 'manifest shop@d1[a]'),
      kept: { 'shop:b': 'younger than minAge 48h' },
    },
  ],
  [
    'multi-tag digest with a keepTags tag: the other tag goes, the manifest stays',
    {
      artifacts: 'shop d1 v1,latest 10d 900',
      rules: { olderThan: '24h', keepTags: ['latest'] },
      bytesFreed: 0,
      deleted: by('older than 24h', 'tag shop:v1@d1'),
      kept: { 'shop:latest': 'keepTags latest' },
    },
  ],
  [
    'multi-tag digest split by keepLast at equal push times (tag name breaks the tie)',
    {
      artifacts: 'shop d0 old 10d; shop d1 b,a 2d',
      rules: { keepLast: 1 },
      deleted: by('beyond keepLast 1', 'manifest shop@d0[old]', 'tag shop:b@d1'),
      kept: { 'shop:a': 'keepLast 1' },
    },
  ],
  [
    'multi-tag digest whose tags are all deletable is one manifest deletion',
    {
      artifacts: 'shop d1 v1.0.0,v1,v1.0 10d 1000; shop d2 v2 1d 50',
      rules: { keepLast: 1 },
      evaluated: 4,
      bytesFreed: 1000,
      deleted: by('beyond keepLast 1', 'manifest shop@d1[v1,v1.0,v1.0.0]'),
      kept: { 'shop:v2': 'keepLast 1' },
    },
  ],
  [
    'multi-tag digest with a tag outside tags.include keeps the manifest',
    {
      artifacts: 'shop d1 pr-1,main 10d',
      rules: { olderThan: '24h', tags: { include: ['pr-*'] } },
      deleted: by('older than 24h', 'tag shop:pr-1@d1'),
      kept: { 'shop:main': 'not in tags.include' },
    },
  ],
  [
    'equal push times are ordered by tag name, whatever the input order',
    {
      artifacts: 'shop d3 c 5d; shop d1 a 5d; shop d2 b 5d',
      rules: { keepLast: 1 },
      deleted: by('beyond keepLast 1', 'manifest shop@d2[b]', 'manifest shop@d3[c]'),
      kept: { 'shop:a': 'keepLast 1' },
    },
  ],
  [
    'an unknown push time is kept',
    {
      artifacts: [{ repository: 'shop', digest: 'd1', tags: ['x'], pushedAt: new Date(Number.NaN) }],
      rules: { olderThan: '24h' },
      deleted: [],
      kept: { 'shop:x': 'unknown push time' },
    },
  ],
  [
    'an unknown push time takes no keepLast place from a known one',
    {
      artifacts: [
        ...arts('shop d1 v1 4d; shop d2 v2 3d'),
        { repository: 'shop', digest: 'd9', tags: ['mystery'], pushedAt: new Date(Number.NaN) },
      ],
      rules: { keepLast: 1 },
      deleted: by('beyond keepLast 1', 'manifest shop@d1[v1]'),
      kept: { 'shop:v2': 'keepLast 1', 'shop:mystery': 'unknown push time' },
    },
  ],
  [
    'without keepLast or olderThan (the CRD rejects that) nothing is deleted',
    {
      artifacts: old('shop'),
      rules: {},
      deleted: [],
      kept: {
        'shop:v1': 'neither keepLast nor olderThan set',
        'shop:v2': 'neither keepLast nor olderThan set',
      },
    },
  ],
  [
    'a digest listed twice is merged',
    {
      artifacts: 'shop d1 a 10d; shop d1 b 10d; shop d2 c 1d',
      rules: { keepLast: 1 },
      evaluated: 3,
      deleted: by('beyond keepLast 1', 'manifest shop@d1[a,b]'),
      kept: { 'shop:c': 'keepLast 1' },
    },
  ],
];

describe('plan: one rule at a time and their combinations', () => {
  it.each(cases)('%s', (_name, c) => check(c));
});
