import { afterEach, describe, expect, it } from 'vitest';
import { type QuayHarness, startQuay } from '../../../test/support/providers/quay.ts';
import { BadRequestError, ForbiddenError } from '../http/errors.ts';
import { policyBody } from './autoprune.ts';

let h: QuayHarness | undefined;
afterEach(() => h?.close());

const org = { organization: 'acme' };

describe('policyBody', () => {
  it('maps keepLast to an integer number_of_tags and olderThan to a creation_date string', () => {
    expect(policyBody({ keepLast: 5 })).toEqual({ method: 'number_of_tags', value: 5 });
    expect(policyBody({ olderThan: '7d', tagPattern: '^dev-', tagPatternMatches: false })).toEqual({
      method: 'creation_date',
      value: '7d',
      tagPattern: '^dev-',
      tagPatternMatches: false,
    });
    expect(() => policyBody({ keepLast: 0 })).toThrow(TypeError);
    expect(() => policyBody({ olderThan: 'soon' })).toThrow(TypeError);
    expect(() => policyBody({ keepLast: 1, olderThan: '1d' })).toThrow(TypeError);
  });
});

describe('QuayAutoPrune', () => {
  it('creates a policy, updates and deletes it', async () => {
    h = await startQuay();
    h.sim.addOrganization('acme');
    const uuid = await h.provider.autoPrune.create(org, { keepLast: 3 }, []);
    expect(await h.provider.autoPrune.list(org)).toEqual([
      { uuid, method: 'number_of_tags', value: 3, tagPattern: null, tagPatternMatches: true },
    ]);
    await h.provider.autoPrune.update(org, uuid, { olderThan: '2w', tagPattern: '^pr-' });
    expect(await h.provider.autoPrune.get(org, uuid)).toMatchObject({
      method: 'creation_date',
      value: '2w',
      tagPattern: '^pr-',
    });
    await h.provider.autoPrune.delete(org, uuid);
    await h.provider.autoPrune.delete(org, uuid);
    expect(await h.provider.autoPrune.get(org, uuid)).toBeUndefined();
    expect(await h.provider.autoPrune.list(org)).toEqual([]);
  });

  it('rejects duplicates at the API and lets the simulated worker prune', async () => {
    const t0 = Date.parse('2024-05-10T12:00:00Z');
    h = await startQuay({ now: () => t0 });
    h.sim.addOrganization('acme');
    for (let i = 0; i < 5; i++)
      h.sim.pushTag('acme', 'api', `v${i}`, { pushedAt: t0 - (5 - i) * 86_400_000 });
    h.sim.pushTag('acme', 'api', 'dev-1', { pushedAt: t0 - 30 * 86_400_000 });
    await h.provider.api.createAutoPrunePolicy(org, { method: 'number_of_tags', value: 2, tagPattern: '^v' });
    await expect(
      h.provider.api.createAutoPrunePolicy(org, { method: 'number_of_tags', value: 2, tagPattern: '^v' }),
    ).rejects.toBeInstanceOf(BadRequestError);
    expect(h.sim.runAutoPrune().sort()).toEqual(['acme/api:v0', 'acme/api:v1', 'acme/api:v2']);
    expect(h.sim.activeTags('acme', 'api').sort()).toEqual(['dev-1', 'v3', 'v4']);
  });

  it('prunes by age outside a tag pattern when tagPatternMatches is false', async () => {
    const t0 = Date.parse('2024-05-10T12:00:00Z');
    h = await startQuay({ now: () => t0 });
    h.sim.addOrganization('acme');
    h.sim.pushTag('acme', 'api', 'release-1', { pushedAt: t0 - 40 * 86_400_000 });
    h.sim.pushTag('acme', 'api', 'pr-1', { pushedAt: t0 - 40 * 86_400_000 });
    h.sim.pushTag('acme', 'api', 'pr-2', { pushedAt: t0 - 86_400_000 });
    h.sim.pushTag('acme', 'api', 'pr-3', { pushedAt: t0 - 40 * 86_400_000, immutable: true });
    await h.provider.autoPrune.create(
      org,
      { olderThan: '30d', tagPattern: '^release-', tagPatternMatches: false },
      [],
    );
    expect(h.sim.runAutoPrune()).toEqual(['acme/api:pr-1']);
  });

  it('supports repository-level policies', async () => {
    h = await startQuay();
    h.sim.addOrganization('acme');
    h.sim.addRepository('acme', 'api');
    const target = { organization: 'acme', repository: 'api' };
    const uuid = await h.provider.autoPrune.create(target, { olderThan: '30d' }, []);
    expect(h.sim.repository('acme', 'api')?.policies.has(uuid)).toBe(true);
    expect(await h.provider.autoPrune.list(org)).toEqual([]);
  });

  it('reports an instance without auto-prune as undefined, and invalid values as BadRequestError', async () => {
    h = await startQuay({ autoPrune: false });
    h.sim.addOrganization('acme');
    expect(await h.provider.autoPrune.list(org)).toBeUndefined();
    await h.close();
    h = await startQuay();
    h.sim.addOrganization('acme');
    await expect(
      h.provider.api.createAutoPrunePolicy(org, { method: 'number_of_tags', value: '5' }),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(h.provider.autoPrune.list({ organization: 'missing' })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });
});
