import { describe, expect, it } from 'vitest';
import { copyName, DRY_RUN_OF_ANNOTATION, dryRunCopy } from './dry-run-copy.ts';
import { painter } from './format/color.ts';
import type { BerthObject } from './objects.ts';
import { humanBytes, itemTags, type RunItem, runHeadline, runItemsTable, shortDigest } from './run-report.ts';

describe('a cleanup run, as printed', () => {
  it('has a headline with counts, duration and the limit', () => {
    expect(
      runHeadline({
        startedAt: '2026-06-01T12:00:00.000Z',
        finishedAt: '2026-06-01T12:00:00.400Z',
        dryRun: true,
        repositories: 1,
        evaluated: 5,
        deleted: 3,
        kept: 2,
        failed: 0,
        stoppedAtLimit: false,
      }),
    ).toBe('dry run: would delete 3, kept 2, failed 0 of 5 evaluated in 1 repository, took 0.4s');
    expect(
      runHeadline({
        dryRun: false,
        evaluated: 9,
        deleted: 4,
        kept: 5,
        failed: 1,
        bytesFreed: 3 * 1024 * 1024,
        stoppedAtLimit: true,
      }),
    ).toBe(
      'deleted 4, kept 5, failed 1 of 9 evaluated, frees 3.0 MiB after garbage collection; stopped at maxDeletionsPerRun, more is due next run',
    );
  });

  // Issue 22 item 3: a 404 to a delete is no deletion, and deletions that did not happen say so.
  it('counts what was already gone apart from what was deleted, and names deletions that did not take effect', () => {
    const run = {
      dryRun: false,
      evaluated: 4,
      deleted: 1,
      alreadyGone: 2,
      kept: 1,
      failed: 0,
      stoppedAtLimit: false,
    };
    expect(runHeadline(run)).toBe('deleted 1, already gone 2, kept 1, failed 0 of 4 evaluated');
    expect(
      runHeadline({ ...run, alreadyGone: 0, failed: 2, notEffective: 'deletions did not take effect in a' }),
    ).toBe('deleted 1, kept 1, failed 2 of 4 evaluated; NOT EFFECTIVE: deletions did not take effect in a');
    const item = { repository: 'a', digest: `sha256:${'cd'.repeat(32)}`, tags: ['v1'], reason: 'r' };
    expect(runItemsTable([{ ...item, action: 'AlreadyGone' }], painter(false), undefined)).toContain(
      'AlreadyGone   a            v1     sha256:cdcdcdcdcdcd   r',
    );
  });

  it('marks a signature listed under the image it signs', () => {
    const image = `sha256:${'ab'.repeat(32)}`;
    const table = runItemsTable(
      [
        { repository: 'a', digest: image, tags: ['v1'], action: 'Deleted', reason: 'beyond keepLast 1' },
        {
          repository: 'a',
          digest: `sha256:${'cd'.repeat(32)}`,
          tags: [`sha256-${'ab'.repeat(32)}.sig`],
          of: image,
          action: 'Deleted',
          reason: 'signature of deleted sha256:abababababab',
        },
      ],
      painter(false),
      undefined,
    );
    expect(table.split('\n')[2]).toContain(`└ sha256-${'ab'.repeat(32)}.sig`);
    expect(table.split('\n')[1]).not.toContain('└');
  });

  it('lists items with short digests', () => {
    const table = runItemsTable(
      [
        {
          repository: 'shop/a',
          tag: 'b1',
          digest: `sha256:${'ab'.repeat(32)}`,
          action: 'WouldDelete',
          reason: 'beyond keepLast 2',
        },
      ],
      painter(false),
      undefined,
    );
    expect(table).toBe(
      'ACTION        REPOSITORY   TAGS   DIGEST                REASON\nWouldDelete   shop/a       b1     sha256:abababababab   beyond keepLast 2\n',
    );
    expect(shortDigest(undefined)).toBe('');
    expect(humanBytes(512)).toBe('512 B');
    expect(humanBytes(1536)).toBe('1.5 KiB');
  });

  // Issue 20 item 3: a manifest that goes takes every tag with it; the table says which.
  it('shows every tag of a manifest that goes, and says untagged where it has none', () => {
    const item = (over: Partial<RunItem>): RunItem => ({
      repository: 'web',
      digest: `sha256:${'cd'.repeat(32)}`,
      action: 'WouldDelete',
      reason: 'beyond keepLast 3',
      ...over,
    });
    const table = runItemsTable(
      [item({ tags: ['v1', 'v1.0'] }), item({ tags: [], reason: 'untagged' })],
      painter(false),
      undefined,
    );
    expect(table.split('\n')).toEqual([
      'ACTION        REPOSITORY   TAGS         DIGEST                REASON',
      'WouldDelete   web          v1,v1.0      sha256:cdcdcdcdcdcd   beyond keepLast 3',
      'WouldDelete   web          <untagged>   sha256:cdcdcdcdcdcd   untagged',
      '',
    ]);
    expect(itemTags(item({ tags: ['a', 'b'], moreTags: 4 }))).toBe('a,b +4 more');
    expect(itemTags(item({ tag: 'old' }))).toBe('old');
    // An older operator recorded no tags for a manifest: nothing is claimed about them.
    expect(itemTags(item({}))).toBe('');
  });
});

describe('the dry-run copy of a policy that deletes', () => {
  const policy: BerthObject = {
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'CleanupPolicy',
    metadata: {
      name: 'retention',
      namespace: 'shop',
      uid: 'u-1',
      annotations: { 'argocd.argoproj.io/x': 'y' },
      labels: { team: 'a' },
    },
    spec: {
      registryRef: { name: 'r' },
      schedule: '0 3 * * *',
      dryRun: false,
      suspend: false,
      rules: { keepLast: 2 },
    },
  };

  it('can only report: dryRun and suspend, the same rules, owned by the policy, asked to run once', () => {
    const copy = dryRunCopy(policy, 'retention-dry-run-abcd', '2026-06-01T12:00:00.000Z');
    expect(copy.spec).toEqual({ ...policy.spec, dryRun: true, suspend: true });
    expect(copy.metadata).toMatchObject({
      name: 'retention-dry-run-abcd',
      namespace: 'shop',
      labels: { 'app.kubernetes.io/created-by': 'berth-cli' },
      annotations: {
        [DRY_RUN_OF_ANNOTATION]: 'retention',
        'berth.dev/run-requested-at': '2026-06-01T12:00:00.000Z',
        'berth.dev/reconcile-requested-at': '2026-06-01T12:00:00.000Z',
      },
      ownerReferences: [{ kind: 'CleanupPolicy', name: 'retention', uid: 'u-1', controller: false }],
    });
    // Nothing of the policy's own metadata travels: no GitOps tool may think it owns the copy.
    expect(JSON.stringify(copy.metadata)).not.toContain('argocd');
    expect(policy.spec.dryRun).toBe(false);
  });

  it('has a valid name however long the policy name', () => {
    expect(copyName('retention', 'abcd')).toBe('retention-dry-run-abcd');
    const long = copyName(`${'a'.repeat(240)}.b`, 'abcd');
    expect(long.length).toBeLessThanOrEqual(253);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
  });
});
