import { describe, expect, it } from 'vitest';
import type { CurrentTags, Images, Provider, TokenRegistry } from '../../clients/provider.ts';
import { byDepth, keepDependents } from './dependents.ts';
import { execute } from './execute.ts';
import { plainImage } from './plan.fixtures.ts';
import type { Decision, Plan } from './plan.ts';

// A signature or platform manifest must not go when what it belongs to stays after all.

const registry = { externalId: 'r1', name: 'shop', server: 'r1.example' } as unknown as TokenRegistry;
const D = `sha256:${'d'.repeat(64)}`;
const S = `sha256:${'5'.repeat(64)}`;
const R = `sha256:${'7'.repeat(64)}`;
const image: Decision = {
  action: 'delete-manifest',
  repository: 'app',
  digest: D,
  tags: ['v1'],
  reason: 'beyond keepLast 1',
};
const signature: Decision = {
  action: 'delete-manifest',
  repository: 'app',
  digest: S,
  tags: [`sha256-${'d'.repeat(64)}.sig`],
  reason: 'signature of deleted sha256:dddddddddddd',
  of: D,
};
const ofSignature: Decision = { ...signature, digest: R, tags: [], reason: 'referrer of deleted', of: S };

describe('dependents', () => {
  it('orders deletions in batches, each after the one it belongs to', () => {
    expect(byDepth([ofSignature, signature, image]).map((l) => l.map((d) => d.digest))).toEqual([
      [D],
      [S],
      [R],
    ]);
  });

  it('keeps what belongs to a manifest that stays, transitively', () => {
    const out = keepDependents([signature, ofSignature], new Set([`app@${D}`]));
    expect(out.proceed).toEqual([]);
    expect(out.settled.map((i) => [i.digest, i.action, i.reason])).toEqual([
      [S, 'Kept', 'sha256:dddddddddddd, which it belongs to, stays after all'],
      [R, 'Kept', 'sha256:555555555555, which it belongs to, stays after all'],
    ]);
  });
});

/** A provider deleting by digest whose registry now shows `now` (digest → tags); `fails` are refused. */
function provider(now: Record<string, string[]>, deleted: string[][], fails: string[] = []): Provider {
  const images: Images = {
    listRepositories: async function* () {},
    listArtifacts: async function* () {},
    currentTags: async (_r, _repo, wanted): Promise<CurrentTags> => ({
      ofDigest: new Map(Object.entries(now).filter(([d]) => wanted.digests.includes(d))),
      ofTag: new Map(),
    }),
    deleteDigests: async (_r, _repo, digests) => {
      deleted.push(digests);
      return { failed: digests.filter((d) => fails.includes(d)) };
    },
  };
  return { name: 'selectel', images } as unknown as Provider;
}

const run = (p: Provider, decisions: Decision[]) =>
  execute(
    {
      provider: p,
      registry,
      credentialsSecret: 'creds',
      oci: () => ({ deleteManifest: async () => 'deleted', exists: async () => false, facts: plainImage }),
      cleanupCredentialName: 'berth-cleanup-x-1',
      cleanupCredentialPrefix: 'berth-cleanup-x-',
      clock: () => 0,
      now: 0,
    },
    { deletions: decisions, keeps: [], evaluated: 2, stoppedAtLimit: false, bytesFreed: 0 } as Plan,
  );

describe('execute with deletions that belong to others', () => {
  it('keeps the signature when its image gained a tag since the listing (a rollback onto it)', async () => {
    const deleted: string[][] = [];
    const { items } = await run(provider({ [D]: ['v1', 'prod'], [S]: signature.tags.slice() }, deleted), [
      image,
      signature,
    ]);
    expect(items.map((i) => [i.digest, i.action])).toEqual([
      [D, 'Kept'],
      [S, 'Kept'],
    ]);
    expect(deleted).toEqual([]);
  });

  it('deletes the image before its signature, and keeps the signature when the image could not be deleted', async () => {
    const deleted: string[][] = [];
    const { items } = await run(provider({ [D]: ['v1'], [S]: signature.tags.slice() }, deleted, [D]), [
      signature,
      image,
    ]);
    expect(deleted).toEqual([[D]]);
    expect(items.find((i) => i.digest === S)?.action).toBe('Kept');
    expect(items.find((i) => i.digest === D)?.action).toBe('Failed');
  });
});
