import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Artifact, DeleteResult, Provider } from '../../clients/provider.ts';
import { CleanupPolicySchema } from '../../crds/cleanup-policy.ts';
import type { RunItem } from '../../crds/cleanup-rules.ts';
import { registryObject } from '../registry-token/fake-world.ts';
import type { EventInput } from '../runtime/events.ts';
import { TerminalError } from '../runtime/outcome.ts';
import type { ManifestDeleter } from './execute.ts';
import { plainImage } from './plan.fixtures.ts';
import { DELETIONS_NOT_EFFECTIVE } from './read-back.ts';
import { CleanupPolicyReconciler } from './reconcile.ts';

// Issue 22 item 3, "reports that do not lie": a 404 to every DELETE (wrong path, or a registry
// that answers 404 to a delete it does not allow) read "Deleted" for every item, and nothing was
// removed. These runs go against a fake registry whose listing is the truth.

const NOW = Date.UTC(2026, 5, 10);
const DAY = 86_400_000;
const digest = (n: number) => `sha256:${String(n).padStart(64, '0')}`;

/** A registry: repository → digest → tags. Listing reads it; what deletes do is up to each test. */
class FakeRegistry {
  readonly manifests = new Map<string, Map<string, string[]>>();
  push(repository: string, n: number, tag: string): void {
    const repo = this.manifests.get(repository) ?? new Map<string, string[]>();
    repo.set(digest(n), [tag]);
    this.manifests.set(repository, repo);
  }
  has(repository: string, d: string): boolean {
    return this.manifests.get(repository)?.has(d) ?? false;
  }
  remove(repository: string, d: string): boolean {
    return this.manifests.get(repository)?.delete(d) ?? false;
  }
  /** Manifests n days old, newest first, so keepLast 1 keeps `v0` and deletes the rest. */
  artifacts(repository: string): Artifact[] {
    return [...(this.manifests.get(repository) ?? [])].map(([d, tags]) => ({
      repository,
      digest: d,
      tags,
      pushedAt: new Date(NOW - Number(tags[0]?.slice(1)) * DAY - DAY),
    }));
  }
}

/** An IONOS-like provider (deletes through OCI) over the fake registry; `onIssue` runs after planning. */
function ociProvider(reg: FakeRegistry, onIssue: () => void = () => undefined): Provider {
  return {
    name: 'ionos',
    images: {
      listRepositories: async function* () {
        yield* [...reg.manifests.keys()].sort();
      },
      listArtifacts: async function* (_r: unknown, repository: string) {
        yield* reg.artifacts(repository);
      },
    },
    tokens: {
      listOwned: async () => [],
      issue: async () => {
        onIssue();
        return { id: 'run-1', name: 'run', login: { username: 'u', password: 'p' } };
      },
      revoke: async () => undefined,
    },
  } as unknown as Provider;
}

function run(
  provider: Provider,
  oci: ManifestDeleter,
  observed: number[] = [],
  status: Record<string, unknown> = {},
  requested = 'now',
) {
  const events: EventInput[] = [];
  const reconciler = new CleanupPolicyReconciler({
    providers: () => provider,
    readCredentials: async () => ({ token: 't' }),
    getRegistry: async () => registryObject(),
    namespaceLabels: async () => ({}),
    oci: () => oci,
    observe: { run: () => undefined, deleted: (_p, n) => void observed.push(n) },
  });
  const policy = CleanupPolicySchema.parse({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'CleanupPolicy',
    metadata: {
      name: 'p',
      namespace: 'shop',
      uid: 'u-1',
      generation: 1,
      annotations: { 'berth.dev/run-requested-at': requested },
    },
    spec: {
      registryRef: { name: 'shop' },
      schedule: '0 3 * * *',
      repositories: { include: ['**'] },
      rules: { keepLast: 1 },
    },
  });
  const outcome = reconciler
    .reconcile({
      object: policy,
      status,
      logger: pino({ level: 'silent' }),
      recordEvent: async (e) => void events.push(e),
      signal: new AbortController().signal,
      now: () => NOW,
      deleting: false,
      ensureFinalizer: async () => false,
      removeFinalizer: async () => false,
      persistStatus: async () => undefined,
      recordIntent: async () => undefined,
      waitShared: (work) => work,
    })
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  return { outcome, status, events, items: () => (status.lastRunItems ?? []) as RunItem[] };
}

const actions = (items: RunItem[]) => items.filter((i) => i.action !== 'Kept').map((i) => i.action);

describe('a run whose deletes answer "not found"', () => {
  it('is Degraded, DeletionsNotEffective, when every DELETE answers 404 and the listing still shows them', async () => {
    const reg = new FakeRegistry();
    for (let n = 0; n < 3; n++) reg.push('shop/app', n, `v${n}`);
    // A wrong path: DELETE and HEAD both 404, while the provider's listing has them all.
    const wrongPath: ManifestDeleter = {
      deleteManifest: async () => 'gone',
      exists: async () => false,
      facts: plainImage,
    };
    const observed: number[] = [];
    const r = run(ociProvider(reg), wrongPath, observed);
    const err = await r.outcome;
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as TerminalError).reason).toBe(DELETIONS_NOT_EFFECTIVE);
    expect((err as Error).message).toMatch(/shop\/app \(2 still there\).*repository path.*credentials/);
    expect(actions(r.items())).toEqual(['Failed', 'Failed']);
    expect(r.items()[0]?.reason).toMatch(/answered "not found".*still there/);
    expect(r.status.lastRun).toMatchObject({ deleted: 0, alreadyGone: 0, failed: 2 });
    expect((r.status.lastRun as { notEffective?: string }).notEffective).toMatch(/shop\/app/);
    expect(r.events).toMatchObject([{ type: 'Warning', reason: DELETIONS_NOT_EFFECTIVE }]);
    expect(observed).toEqual([0]);
    // Between runs (the request answered, no slot due) it stays not Ready, and says why.
    const idle = run(ociProvider(reg), wrongPath, [], r.status, 'now');
    expect(((await idle.outcome) as TerminalError).reason).toBe(DELETIONS_NOT_EFFECTIVE);
    expect(idle.events).toEqual([]);
  });

  it('is Degraded when the registry answers 404 to a delete it does not allow, and HEAD finds the manifest', async () => {
    const reg = new FakeRegistry();
    for (let n = 0; n < 2; n++) reg.push('shop/app', n, `v${n}`);
    const refuses: ManifestDeleter = {
      deleteManifest: async () => 'gone',
      exists: async (repo, d) => reg.has(repo, d),
      facts: plainImage,
    };
    const r = run(ociProvider(reg), refuses);
    expect(((await r.outcome) as TerminalError).reason).toBe(DELETIONS_NOT_EFFECTIVE);
    expect(actions(r.items())).toEqual(['Failed']);
  });

  it('reports AlreadyGone, apart from Deleted, for a manifest removed since the listing; the run is fine', async () => {
    const reg = new FakeRegistry();
    for (let n = 0; n < 3; n++) reg.push('shop/app', n, `v${n}`);
    const honest: ManifestDeleter = {
      deleteManifest: async (repo, d) => (reg.remove(repo, d) ? 'deleted' : 'gone'),
      exists: async (repo, d) => reg.has(repo, d),
      facts: plainImage,
    };
    // Someone else deletes v2 after the plan listed it.
    const observed: number[] = [];
    const r = run(
      ociProvider(reg, () => reg.remove('shop/app', digest(2))),
      honest,
      observed,
    );
    expect(await r.outcome).toBeUndefined();
    expect(actions(r.items()).sort()).toEqual(['AlreadyGone', 'Deleted']);
    expect(r.status.lastRun).toMatchObject({ deleted: 1, alreadyGone: 1, failed: 0 });
    expect(r.events).toMatchObject([{ type: 'Normal', reason: 'RunCompleted' }]);
    expect(r.events[0]?.note).toMatch(/^deleted 1, already gone 1, kept 1, failed 0/);
    // Only the real deletion is counted in berth_cleanup_deletions_total.
    expect(observed).toEqual([1]);
  });

  it('is fine when every delete answers 404 because they are all really gone', async () => {
    const reg = new FakeRegistry();
    for (let n = 0; n < 3; n++) reg.push('shop/app', n, `v${n}`);
    const honest: ManifestDeleter = {
      deleteManifest: async (repo, d) => (reg.remove(repo, d) ? 'deleted' : 'gone'),
      exists: async (repo, d) => reg.has(repo, d),
      facts: plainImage,
    };
    const r = run(
      ociProvider(reg, () => {
        for (const n of [1, 2]) reg.remove('shop/app', digest(n));
      }),
      honest,
    );
    expect(await r.outcome).toBeUndefined();
    expect(actions(r.items())).toEqual(['AlreadyGone', 'AlreadyGone']);
  });
});

describe('reading back what a run deleted', () => {
  it('is Degraded when a manifest answered 202 but is still there', async () => {
    const reg = new FakeRegistry();
    for (let n = 0; n < 3; n++) reg.push('shop/app', n, `v${n}`);
    reg.push('shop/web', 0, 'v0');
    reg.push('shop/web', 1, 'v1');
    // Accepts every delete, removes only from shop/web.
    const lies: ManifestDeleter = {
      deleteManifest: async (repo, d) => {
        if (repo === 'shop/web') reg.remove(repo, d);
        return 'deleted';
      },
      exists: async (repo, d) => reg.has(repo, d),
      facts: plainImage,
    };
    const r = run(ociProvider(reg), lies);
    const err = (await r.outcome) as TerminalError;
    expect(err.reason).toBe(DELETIONS_NOT_EFFECTIVE);
    expect(err.message).toMatch(/in shop\/app \(2 still there\):/);
    expect(err.message).not.toMatch(/shop\/web/);
    const failed = r.items().filter((i) => i.action === 'Failed');
    expect(failed.map((i) => [i.repository, i.reason])).toEqual([
      ['shop/app', 'reported deleted, but reading it back found it still there'],
      ['shop/app', 'reported deleted, but reading it back found it still there'],
    ]);
    expect(
      r
        .items()
        .filter((i) => i.action === 'Deleted')
        .map((i) => i.repository),
    ).toEqual(['shop/web']);
  });

  it('reads back through the provider listing where the provider deletes itself (Quay, Selectel)', async () => {
    const reg = new FakeRegistry();
    for (let n = 0; n < 3; n++) reg.push('team/api', n, `v${n}`);
    // The provider reports success for every digest and removes nothing.
    const provider = ociProvider(reg);
    Object.assign(provider, { name: 'selectel' });
    Object.assign(provider.images as object, {
      deleteDigests: async (): Promise<DeleteResult> => ({ failed: [], gone: [] }),
    });
    const r = run(provider, {
      deleteManifest: async () => 'deleted',
      exists: async () => false,
      facts: plainImage,
    });
    expect(((await r.outcome) as TerminalError).reason).toBe(DELETIONS_NOT_EFFECTIVE);
    expect(actions(r.items())).toEqual(['Failed', 'Failed']);
  });
});
