import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
  TEST_USER,
} from '../../../test/support/providers/selectel.ts';

// The simulator against what Selectel's own code decodes: craas-go's repository fixtures and
// go-selvpcclient's Keystone token (both copied into the client's testdata, sources named there).

const testdata = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../clients/selectel/testdata/${name}.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
const sdk = testdata('craas-go-repository');
const selvpc = testdata('selvpcclient-catalog');

/** Every key of `expected` is in `actual` with the same JSON type, recursively (arrays by their first item). */
function covers(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected))
    return Array.isArray(actual) && (expected.length === 0 || covers(actual[0], expected[0]));
  if (expected !== null && typeof expected === 'object')
    return (
      actual !== null &&
      typeof actual === 'object' &&
      Object.entries(expected).every(([k, v]) => covers((actual as Record<string, unknown>)[k], v))
    );
  return typeof actual === typeof expected;
}

let bed: SelectelTestBed;
let token: string;

async function call(method: string, path: string) {
  const res = await fetch(bed.sim.url + path, { method, headers: { 'x-auth-token': token } });
  const text = await res.text();
  return { status: res.status, text, body: text ? (JSON.parse(text) as unknown) : undefined };
}

beforeAll(async () => {
  bed = await startSelectelTestBed();
});
afterAll(() => bed.stop());
beforeEach(() => {
  bed.sim.state.registries.clear();
  token = bed.sim.issueIamToken(TEST_PROJECT);
});

describe('Selectel simulator on the v1 paths craas-go calls', () => {
  it('answers the bodies craas-go decodes: repositories, a repository, images and layers', async () => {
    const reg = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const image = bed.sim.addImage(reg.id, 'team/app', { tags: ['latest'] });
    const base = `/api/v1/registries/${reg.id}/repositories`;
    expect(covers((await call('GET', base)).body, sdk.testListRepositoriesResponseRaw)).toBe(true);
    expect(covers((await call('GET', `${base}/team/app`)).body, sdk.testGetRepositoryResponseRaw)).toBe(true);
    expect(covers((await call('GET', `${base}/team/app/images`)).body, sdk.testListImagesResponseRaw)).toBe(
      true,
    );
    expect((await call('GET', `${base}/team/app/tags`)).body).toEqual(sdk.testListTagsResponseRaw);
    // "List layers" by digest or tag: the `[Layer]` array of craas-go's fixture, not an Image.
    for (const reference of [image.digest, 'latest']) {
      const layers = await call('GET', `${base}/team/app/${reference}`);
      expect(layers.body).toEqual(image.layers);
      expect(covers(layers.body, sdk.testListImageLayersResponseRaw)).toBe(true);
    }
  });

  it('answers 204 with no body for no repositories, and [] for no images (ListImages has no 204 case)', async () => {
    const reg = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const empty = await call('GET', `/api/v1/registries/${reg.id}/repositories`);
    const emptyList = sdk.emptyList as { status: number; body: string };
    expect({ status: empty.status, text: empty.text }).toEqual({
      status: emptyList.status,
      text: emptyList.body,
    });
    bed.sim.addRepository(reg.id, 'app');
    expect((await call('GET', `/api/v1/registries/${reg.id}/repositories/app/images`)).body).toEqual([]);
  });

  it('matches nested names sent raw, as craas-go sends them, and encoded, as other clients do', async () => {
    const reg = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    const image = bed.sim.addImage(reg.id, 'team/app', { tags: ['v1'] });
    bed.sim.addImage(reg.id, 'team', { tags: ['app'] });
    const base = `/api/v1/registries/${reg.id}/repositories`;
    // `team/app` is the repository when it exists; otherwise `app` would be a tag of `team`.
    expect((await call('GET', `${base}/team/app`)).body).toMatchObject({ name: 'team/app' });
    expect((await call('GET', `${base}/team%2Fapp`)).body).toMatchObject({ name: 'team/app' });
    expect((await call('GET', `${base}/team/app/v1`)).status).toBe(200);
    expect((await call('DELETE', `${base}/team/app/${image.digest}`)).status).toBe(204);
    expect(bed.sim.registry(reg.id)?.repositories.get('team/app')?.images).toEqual([]);
    expect((await call('DELETE', `${base}/team/app`)).status).toBe(204);
    // With the repository gone, `team/app` reads as the layers of `team:app`.
    const tagged = bed.sim.registry(reg.id)?.repositories.get('team')?.images[0];
    expect((await call('GET', `${base}/team/app`)).body).toEqual(tagged?.layers);
  });

  it('serves the seed paged v2 lists unless configured as a service without them', async () => {
    const reg = bed.sim.addRegistry(TEST_PROJECT, 'shop');
    bed.sim.addImage(reg.id, 'app');
    expect((await call('GET', `/api/v2/registries/${reg.id}/repositories/app/images`)).status).toBe(200);
    const bare = await startSelectelTestBed({ pagedListings: false });
    try {
      const other = bare.sim.addRegistry(TEST_PROJECT, 'shop');
      bare.sim.addImage(other.id, 'app');
      const headers = { 'x-auth-token': bare.sim.issueIamToken(TEST_PROJECT) };
      const v2 = await fetch(`${bare.sim.url}/api/v2/registries/${other.id}/repositories`, { headers });
      const v1 = await fetch(`${bare.sim.url}/api/v1/registries/${other.id}/repositories`, { headers });
      expect([v2.status, v1.status]).toEqual([404, 200]);
    } finally {
      await bare.stop();
    }
  });
});

describe('Selectel simulator identity catalog', () => {
  it('issues a catalog shaped like go-selvpcclient fixture, with both CRaaS types', async () => {
    const res = await fetch(`${bed.sim.identityEndpoint}/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: {
              user: {
                name: TEST_USER.username,
                domain: { name: TEST_USER.accountId },
                password: TEST_USER.password,
              },
            },
          },
          scope: { project: { id: TEST_PROJECT } },
        },
      }),
    });
    const body = (await res.json()) as {
      token: { catalog: { type: string; endpoints: { url: string }[] }[] };
    };
    expect(covers(body, selvpc.TokenInfo)).toBe(true);
    const urls = (type: string) => body.token.catalog.find((e) => e.type === type)?.endpoints[0]?.url;
    expect(urls('container-registry')).toBe(`${bed.sim.url}/api/v1`);
    expect(urls('container-registry-v2')).toBe(`${bed.sim.url}/api/v2`);
  });
});
