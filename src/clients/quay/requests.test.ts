import { afterEach, describe, expect, it } from 'vitest';
import { validateRequestAgainstSpec } from '../../../test/support/openapi.ts';
import { type QuayHarness, startQuay } from '../../../test/support/providers/quay.ts';

let h: QuayHarness | undefined;
afterEach(() => h?.close());

/** The spec's path template of a request the adapter sent. */
function template(method: string, path: string): string | undefined {
  const p = path.split('?')[0] ?? '';
  const rules: [string, RegExp, string][] = [
    ['POST', /^\/api\/v1\/organization\/$/, '/api/v1/organization/'],
    ['PUT', /^\/api\/v1\/organization\/[^/]+$/, '/api/v1/organization/{orgname}'],
    [
      'PUT',
      /^\/api\/v1\/organization\/[^/]+\/robots\/[^/]+$/,
      '/api/v1/organization/{orgname}/robots/{robot_shortname}',
    ],
    ['POST', /^\/api\/v1\/repository$/, '/api/v1/repository'],
    ['PUT', /\/permissions\/user\/[^/]+$/, '/api/v1/repository/{repository}/permissions/user/{username}'],
    ['PUT', /\/tag\/[^/]+$/, '/api/v1/repository/{repository}/tag/{tag}'],
  ];
  return rules.find(([m, re]) => m === method && re.test(p))?.[2];
}

describe('request bodies the adapter sends', () => {
  it('validate against the spec’s request schemas', async () => {
    h = await startQuay();
    const registry = h.registry('acme');
    // The 2024 spec still requires email on POST /organization/ (newer Quay does not): send one here.
    await h.provider.registries.create(
      h.desired('acme', { email: 'ops@acme.example', timeMachineExpiration: '1w' }),
    );
    await h.provider.tokens.issue({
      registry,
      name: 'ci',
      scopes: [{ repository: 'api', actions: ['push'] }],
    });
    h.sim.pushTag('acme', 'api', 'v1');
    await h.provider.images.setTagExpiration(registry, 'api', 'v1', new Date(Date.now() + 3_600_000));

    const checked = h.sent.filter((r) => r.body !== undefined);
    const templates = checked.map((r) => template(r.method, r.path));
    expect(templates).toEqual([
      '/api/v1/organization/',
      '/api/v1/organization/{orgname}',
      '/api/v1/repository',
      '/api/v1/organization/{orgname}/robots/{robot_shortname}',
      '/api/v1/repository/{repository}/permissions/user/{username}',
      '/api/v1/repository/{repository}/tag/{tag}',
    ]);
    for (const [i, r] of checked.entries())
      expect(validateRequestAgainstSpec('quay', r.method, templates[i] ?? '', r.body)).toEqual([]);
    expect(checked[3]?.body).toEqual({
      description: 'Managed by berth; do not edit or delete by hand.',
      unstructured_metadata: { 'managed-by': 'berth' },
    });
  });
});
