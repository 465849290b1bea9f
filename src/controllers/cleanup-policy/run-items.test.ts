import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Artifact, Provider } from '../../clients/provider.ts';
import { CleanupPolicySchema, MAX_RUN_ITEMS } from '../../crds/cleanup-policy.ts';
import { MAX_TAGS_PER_ITEM, type RunItem } from '../../crds/cleanup-rules.ts';
import { registryObject } from '../registry-token/fake-world.ts';
import { policyRequest } from './fake-request.ts';
import { plainImage } from './plan.fixtures.ts';
import { CleanupPolicyReconciler } from './reconcile.ts';
import { logDeletions, runItem, statusItems } from './run-items.ts';

// Issue 20 item 3: a run against a real Quay listed WouldDelete rows for v1..v5 with an empty TAG
// column. Whoever approves a dry run must see every tag that goes.
const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('the items of a run', () => {
  it('list every tag of a manifest that goes, and say untagged where it has none', () => {
    const manifest = { action: 'delete-manifest', repository: 'web', digest: DIGEST, reason: 'r' } as const;
    expect(runItem({ ...manifest, tags: ['v1', 'v1.0'] }, 'WouldDelete')).toEqual({
      repository: 'web',
      tags: ['v1', 'v1.0'],
      digest: DIGEST,
      action: 'WouldDelete',
      reason: 'r',
    });
    expect(runItem({ ...manifest, tags: [] }, 'Deleted').tags).toEqual([]);
    expect(runItem({ ...manifest, tags: ['v1'] }, 'Failed', 'refused').reason).toBe('refused');
  });

  it('name the one tag of a tag deleted or kept alone; an untagged keep is untagged', () => {
    const tag = { action: 'delete-tag', repository: 'web', tag: 'old', digest: DIGEST, reason: 'r' } as const;
    expect(runItem(tag, 'Deleted')).toMatchObject({ tag: 'old' });
    expect(runItem(tag, 'Deleted')).not.toHaveProperty('tags');
    const keep = { action: 'keep', repository: 'web', digest: DIGEST, reason: 'untagged: Keep' } as const;
    expect(runItem(keep, 'Kept')).toMatchObject({ tags: [] });
    expect(runItem({ ...keep, tag: 'latest' }, 'Kept')).toMatchObject({ tag: 'latest' });
  });

  it('are bounded in status: deletions first, at most 50 items and 10 tags each, the rest counted', () => {
    const tags = Array.from({ length: MAX_TAGS_PER_ITEM + 3 }, (_, i) => `t${i}`);
    const kept: RunItem = { repository: 'web', tag: 'x', digest: DIGEST, action: 'Kept', reason: 'k' };
    const many: RunItem = { repository: 'web', tags, digest: DIGEST, action: 'WouldDelete', reason: 'r' };
    const items = statusItems([...Array.from({ length: MAX_RUN_ITEMS }, () => kept), many]);
    expect(items).toHaveLength(MAX_RUN_ITEMS);
    expect(items[0]).toEqual({ ...many, tags: tags.slice(0, MAX_TAGS_PER_ITEM), moreTags: 3 });
    // Items within the bound are left as they are.
    expect(statusItems([kept])).toEqual([kept]);
  });

  it('are logged with all their tags, deletions only', () => {
    const lines: unknown[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const tags = Array.from({ length: MAX_TAGS_PER_ITEM + 3 }, (_, i) => `t${i}`);
    logDeletions(logger, [
      { repository: 'web', tags, digest: DIGEST, action: 'Deleted', reason: 'r' },
      { repository: 'web', tag: 'old', digest: DIGEST, action: 'Failed', reason: 'e' },
      { repository: 'web', tag: 'x', digest: DIGEST, action: 'Kept', reason: 'k' },
    ]);
    expect(lines).toMatchObject([
      { msg: 'cleanup item', action: 'Deleted', tags },
      { msg: 'cleanup item', action: 'Failed', tags: ['old'] },
    ]);
  });
});

describe('a dry run, as status reports it', () => {
  const artifacts: Artifact[] = [
    { repository: 'web', digest: 'sha256:3', tags: ['v3'], pushedAt: new Date(Date.UTC(2026, 5, 9)) },
    {
      repository: 'web',
      digest: 'sha256:2',
      tags: ['v2', 'v2.0'],
      pushedAt: new Date(Date.UTC(2026, 5, 8)),
    },
    { repository: 'web', digest: 'sha256:1', tags: [], pushedAt: new Date(Date.UTC(2026, 5, 1)) },
  ];
  // Listing only: a dry run deletes nothing.
  const provider = {
    name: 'ionos',
    // The dry run reads the manifests it would delete with a credential of its own.
    tokens: {
      listOwned: async () => [],
      issue: async () => ({ id: 'run-1', name: 'run', login: { username: 'u', password: 'p' } }),
      revoke: async () => undefined,
    },
    images: {
      listRepositories: async function* () {
        yield 'web';
      },
      listArtifacts: async function* () {
        yield* artifacts;
      },
    },
  } as unknown as Provider;
  const reconciler = new CleanupPolicyReconciler({
    providers: () => provider,
    readCredentials: async () => ({ token: 't' }),
    getRegistry: async () => registryObject(),
    namespaceLabels: async () => ({}),
    oci: () => ({
      deleteManifest: async () => 'deleted' as const,
      exists: async () => false,
      facts: plainImage,
    }),
  });
  const policy = CleanupPolicySchema.parse({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'CleanupPolicy',
    metadata: { name: 'p', namespace: 'shop', uid: 'u-1', generation: 1 },
    spec: {
      registryRef: { name: 'shop' },
      schedule: '0 3 * * *',
      dryRun: true,
      repositories: { include: ['**'] },
      rules: { keepLast: 1, untagged: 'Delete' },
    },
  });

  it('shows both tags of a manifest that would go, and an untagged one as untagged', async () => {
    const status: Record<string, unknown> = {};
    const now = Date.UTC(2026, 5, 10);
    const requested = {
      ...policy,
      metadata: { ...policy.metadata, annotations: { 'berth.dev/run-requested-at': 'now' } },
    };
    const request = policyRequest(requested, status, () => now);
    await reconciler.reconcile(request);
    expect(status.lastRunItems).toEqual([
      { repository: 'web', digest: 'sha256:1', tags: [], action: 'WouldDelete', reason: 'untagged' },
      {
        repository: 'web',
        digest: 'sha256:2',
        tags: ['v2', 'v2.0'],
        action: 'WouldDelete',
        reason: 'beyond keepLast 1',
      },
      { repository: 'web', digest: 'sha256:3', tag: 'v3', action: 'Kept', reason: 'keepLast 1' },
    ]);
  });
});

describe('groupWithImages', () => {
  const item = (digest: string, action: RunItem['action'], of?: string): RunItem => ({
    repository: 'app',
    digest,
    tags: [],
    action,
    reason: 'r',
    ...(of === undefined ? {} : { of }),
  });

  it('lists a signature and the platform manifests right after their image, whatever their action', () => {
    const items = [
      item('sha256:old', 'Deleted'),
      item('sha256:other', 'Deleted'),
      item('sha256:sig', 'Deleted', 'sha256:old'),
      item('sha256:index', 'Kept'),
      item('sha256:amd64', 'Kept', 'sha256:index'),
      item('sha256:orphan', 'Kept', 'sha256:unlisted'),
    ];
    expect(statusItems(items).map((i) => i.digest)).toEqual([
      'sha256:old',
      'sha256:sig',
      'sha256:other',
      'sha256:index',
      'sha256:amd64',
      'sha256:orphan',
    ]);
  });

  it('ranks a group by its most urgent item: a failed signature of a kept image is not hidden among keeps', () => {
    const keeps = Array.from({ length: MAX_RUN_ITEMS }, (_, n) => item(`sha256:k${n}`, 'Kept'));
    const items = [...keeps, item('sha256:img', 'Kept'), item('sha256:sig', 'Failed', 'sha256:img')];
    expect(
      statusItems(items)
        .slice(0, 2)
        .map((i) => [i.digest, i.action]),
    ).toEqual([
      ['sha256:img', 'Kept'],
      ['sha256:sig', 'Failed'],
    ]);
  });
});
