import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  desiredRegistry,
  type SelectelTestBed,
  startSelectelTestBed,
} from '../../../test/support/providers/selectel.ts';
import { type CatalogEntry, craasCatalog } from '../../simulators/selectel/identity.ts';
import { NotFoundError } from '../http/errors.ts';
import { endpointsFromCatalog, KeystoneCatalogSchema } from './endpoints.ts';

/** go-selvpcclient's Keystone token fixture (source in the file): a catalog without CRaaS. */
const selvpc = JSON.parse(
  readFileSync(new URL('./testdata/selvpcclient-catalog.json', import.meta.url), 'utf8'),
) as { TokenInfo: unknown };

const catalogOf = (entries: CatalogEntry[]) =>
  KeystoneCatalogSchema.parse({ token: { catalog: entries } }).token.catalog;

describe('endpointsFromCatalog', () => {
  it('falls back to the production API, saying so, when the catalog has no CRaaS entry', () => {
    const { token } = KeystoneCatalogSchema.parse(selvpc.TokenInfo);
    expect(token.catalog.map((e) => e.type)).toEqual(['quota-manager', 'resell']);
    const { endpoints, fallbacks } = endpointsFromCatalog(token.catalog, false);
    expect(endpoints).toEqual({ v1: 'https://cr.selcloud.ru/api/v1', v2: 'https://cr.selcloud.ru/api/v2' });
    expect(fallbacks).toHaveLength(2);
  });

  it('takes the public endpoint of each type, ignoring admin ones, and accepts regions that agree', () => {
    const catalog = craasCatalog('https://cr.example');
    const v1 = catalog.find((e) => e.type === 'container-registry');
    v1?.endpoints.push({
      ...(v1.endpoints[0] as CatalogEntry['endpoints'][0]),
      region: 'ru-9',
      region_id: 'ru-9',
    });
    expect(endpointsFromCatalog(catalogOf(catalog), false)).toEqual({
      endpoints: { v1: 'https://cr.example/api/v1', v2: 'https://cr.example/api/v2' },
      fallbacks: [],
    });
  });

  it('takes a missing version from its sibling on the same installation, and skips unversioned URLs', () => {
    const catalog = craasCatalog('https://cr.example').filter((e) => e.type === 'container-registry');
    const v1 = catalog[0];
    v1?.endpoints.unshift({
      ...(v1.endpoints[0] as CatalogEntry['endpoints'][0]),
      url: 'https://cr.example/api',
    });
    const { endpoints, fallbacks } = endpointsFromCatalog(catalogOf(catalog), false);
    expect(endpoints).toEqual({ v1: 'https://cr.example/api/v1', v2: 'https://cr.example/api/v2' });
    expect(fallbacks).toEqual([expect.stringContaining('container-registry-v2 endpoint')]);
  });

  it('refuses endpoints that differ, and plain http unless the identity endpoint is http too', () => {
    const catalog = craasCatalog('https://cr.example');
    const v2 = catalog.find((e) => e.type === 'container-registry-v2');
    v2?.endpoints.push({
      ...(v2.endpoints[0] as CatalogEntry['endpoints'][0]),
      url: 'https://other.example/api/v2',
    });
    expect(() => endpointsFromCatalog(catalogOf(catalog), false)).toThrow(
      /2 different container-registry-v2/,
    );
    const plain = catalogOf(craasCatalog('http://cr.example'));
    expect(endpointsFromCatalog(plain, false).endpoints.v1).toBe('https://cr.selcloud.ru/api/v1');
    expect(endpointsFromCatalog(plain, true).endpoints.v1).toBe('http://cr.example/api/v1');
  });
});

describe('Selectel endpoints from the IAM token catalog', () => {
  let bed: SelectelTestBed;
  beforeAll(async () => {
    bed = await startSelectelTestBed();
  });
  afterAll(() => bed.stop());
  beforeEach(() => {
    bed.sim.state.registries.clear();
    bed.sim.server.log.length = 0;
    bed.sim.identity.catalog = () => craasCatalog(bed.sim.url);
  });

  it('needs only the identity endpoint: CRaaS calls and the docker host follow the catalog', async () => {
    const provider = bed.provider({ apiEndpoint: undefined, registryHost: undefined });
    const created = await provider.registries.create(desiredRegistry('shop'));
    expect(created.server).toBe(new URL(bed.sim.url).host);
    await provider.api.tokens.list();
    expect(bed.sim.server.log.map((e) => e.path)).toEqual([
      '/identity/v3/auth/tokens',
      '/api/v1/registries',
      '/api/v2/tokens',
    ]);
  });

  it('sends calls where the catalog says, unless apiEndpoint overrides it', async () => {
    bed.sim.identity.catalog = () =>
      craasCatalog(bed.sim.url).map((e) => ({
        ...e,
        endpoints: e.endpoints.map((p) => ({ ...p, url: p.url.replace('/api/', '/moved/') })),
      }));
    const following = bed.provider({ apiEndpoint: undefined });
    await expect(following.api.getRegistry('x')).rejects.toBeInstanceOf(NotFoundError);
    expect(bed.sim.server.log.at(-1)?.path).toBe('/moved/v1/registries/x');
    await bed.provider().api.listRegistries();
    expect(bed.sim.server.log.at(-1)?.path).toBe('/api/v1/registries');
  });
});
