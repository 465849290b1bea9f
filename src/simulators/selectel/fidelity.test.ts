import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
} from '../../../test/support/providers/selectel.ts';

// Image times and tag removal as seed 003 (/work/shared/seeds/003_c68852f9de1c298a.txt, "Container
// Registry API (v2.2)") describes them; each test quotes the lines it follows.

let bed: SelectelTestBed;
let token: string;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(bed.sim.url + path, {
    method,
    headers: {
      'x-auth-token': token,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

interface ImageJson {
  digest: string;
  createdAt: string;
  tags: string[];
}

beforeAll(async () => {
  bed = await startSelectelTestBed();
});
afterAll(() => bed.stop());
beforeEach(() => {
  bed.sim.state.registries.clear();
  token = bed.sim.issueIamToken(TEST_PROJECT);
});

describe('Selectel simulator: image times (seed 003)', () => {
  // Seed lines 213-228 (List images): `"architecture": "string"`, `"createdAt":
  // "2019-08-24T14:15:22Z"`, `"digest"`, `"layers": [{"digest", "size"}]`, `"mediaType"`, `"os"`,
  // `"size"`, `"tags"`: the fields of an image config and manifest, no push time. Lines 124-129
  // (List repositories): `"name"`, `"size"`, `"type"`, `"updatedAt": "2019-08-24T14:15:22Z"`, and
  // line 116: `sort_field ... Enum: "name" "updatedAt" "size"`.
  it('lists the config creation time as the image createdAt and the push as the repository updatedAt', async () => {
    const registry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const pushedAt = new Date(Date.UTC(2026, 10, 30, 12, 0, 0));
    bed.sim.addImage(registry.id, 'ko', {
      tags: ['v1'],
      pushedAt,
      createdAt: new Date('1970-01-01T00:00:00Z'),
    });
    bed.sim.addImage(registry.id, 'ko', {
      tags: ['v2'],
      pushedAt: new Date(pushedAt.getTime() - 3_600_000),
      createdAt: new Date('0001-01-01T00:00:00Z'),
    });
    const base = `/api/v1/registries/${registry.id}/repositories/ko`;
    const images = (await call('GET', `${base}/images`)).body as ImageJson[];
    expect(images.map((i) => i.createdAt)).toEqual(['1970-01-01T00:00:00Z', '0001-01-01T00:00:00Z']);
    // The later push of the two, although it was made first.
    expect(((await call('GET', base)).body as { updatedAt: string }).updatedAt).toBe('2026-11-30T12:00:00Z');
  });

  it('moves the repository updatedAt when cleanup removes something (a change to the repository)', async () => {
    const registry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const image = bed.sim.addImage(registry.id, 'app', {
      tags: ['a'],
      pushedAt: new Date(Date.UTC(2020, 0, 1)),
    });
    bed.sim.addImage(registry.id, 'app', { tags: ['b'], pushedAt: new Date(Date.UTC(2020, 0, 2)) });
    const base = `/api/v1/registries/${registry.id}/repositories/app`;
    expect(((await call('GET', base)).body as { updatedAt: string }).updatedAt).toBe('2020-01-02T00:00:00Z');
    const before = bed.sim.state.now();
    await call('POST', `${base}/cleanup`, { digests: [image.digest], disable_gc: true });
    const updated = Date.parse(((await call('GET', base)).body as { updatedAt: string }).updatedAt);
    expect(updated).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  });
});

describe('Selectel simulator: cleanup by tag (seed 003)', () => {
  // Seed line 159: "Removes specified tags and images from the repository." Lines 184-191: the answer
  // lists each removed image as `{"digest": ..., "tags": ["v1.0", "latest"]}`, never a tag alone.
  // The seed does not say a tag can go while its image stays, so the simulator takes the harmful
  // reading, the one clients must be safe against: the image goes with every tag on it.
  it('deleting one tag of a multi-tag image deletes the image and its other tags', async () => {
    const registry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const both = bed.sim.addImage(registry.id, 'app', { tags: ['old', 'latest'] });
    const other = bed.sim.addImage(registry.id, 'app', { tags: ['v2'] });
    const base = `/api/v1/registries/${registry.id}/repositories/app`;
    const cleanup = await call('POST', `${base}/cleanup`, { tags: ['old'], disable_gc: true });
    expect(cleanup).toEqual({
      status: 200,
      body: { deleted: [{ digest: both.digest, tags: ['old', 'latest'] }], failed: [] },
    });
    const listed = (await call('GET', `${base}/images`)).body as ImageJson[];
    expect(listed.map((i) => i.digest)).toEqual([other.digest]);
    expect((await call('GET', `${base}/latest`)).status).toBe(404);
  });

  // Lines 172-191: the request sample names one digest and the tags "v1.0" and "latest"; the answer
  // sample reports that one image once, with both tags, and nothing failed.
  it('reports an image named by digest and by its tags once, as in the seed sample', async () => {
    const registry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const image = bed.sim.addImage(registry.id, 'app', { tags: ['v1.0', 'latest'] });
    const cleanup = await call('POST', `/api/v1/registries/${registry.id}/repositories/app/cleanup`, {
      digests: [image.digest],
      disable_gc: false,
      tags: ['v1.0', 'latest'],
    });
    expect(cleanup.body).toEqual({
      deleted: [{ digest: image.digest, tags: ['v1.0', 'latest'] }],
      failed: [],
    });
  });

  // Lines 192-199: `"failed": [{"digest": "sha256:def456...", "error": "Image is referenced by another
  // manifest", "tags": ["tag1", "tag2"]}]`: a refused image is listed with all its tags.
  it('refuses a tag of an image that cannot be deleted, listing the image with all its tags', async () => {
    const registry = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const locked = bed.sim.addImage(registry.id, 'app', {
      tags: ['tag1', 'tag2'],
      lockedBy: 'Image is referenced by another manifest',
    });
    const cleanup = await call('POST', `/api/v1/registries/${registry.id}/repositories/app/cleanup`, {
      tags: ['tag1'],
      disable_gc: true,
    });
    expect(cleanup.body).toEqual({
      deleted: [],
      failed: [
        { digest: locked.digest, error: 'Image is referenced by another manifest', tags: ['tag1', 'tag2'] },
      ],
    });
    expect(locked.tags).toEqual(['tag1', 'tag2']);
  });
});
