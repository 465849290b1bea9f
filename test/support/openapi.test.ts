import { describe, expect, it } from 'vitest';
import { validateAgainstSpec, validateRequestAgainstSpec } from './openapi.ts';

// The validator is what simulator fidelity rests on: prove it accepts the documented shape and
// rejects a wrong one, for both spec dialects (IONOS's OpenAPI 3 YAML, Quay's Swagger 2 converted to OpenAPI 3).
describe('validateAgainstSpec', () => {
  it('checks IONOS (OpenAPI 3) responses, including $refs and formats', () => {
    const location = {
      id: 'locations',
      type: 'collection',
      href: 'https://x/locations',
      items: [{ id: 'de/fra', type: 'location', href: 'https://x/locations/de/fra' }],
    };
    expect(validateAgainstSpec('ionos', 'GET', '/locations', 200, location)).toEqual([]);
    expect(validateAgainstSpec('ionos', 'GET', '/locations', 200, { items: 'nope' }).length).toBeGreaterThan(
      0,
    );
  });

  it('checks Quay error bodies and request bodies (its spec has almost no success schemas)', () => {
    const apiError = {
      status: 403,
      error_message: 'Unauthorized',
      title: 'insufficient_scope',
      type: 'x',
      detail: 'd',
    };
    expect(validateAgainstSpec('quay', 'GET', '/api/v1/user/', 403, apiError)).toEqual([]);
    expect(validateAgainstSpec('quay', 'GET', '/api/v1/user/', 403, 'plain text').length).toBeGreaterThan(0);
    expect(
      validateAgainstSpec('quay', 'GET', '/api/v1/user/', 200, { anonymous: 'no' }).length,
    ).toBeGreaterThan(0);
    expect(() => validateAgainstSpec('quay', 'GET', '/api/v1/organization/{orgname}', 200, {})).toThrow(
      /no body schema/,
    );
    const robot = validateRequestAgainstSpec(
      'quay',
      'PUT',
      '/api/v1/organization/{orgname}/robots/{robot_shortname}',
      {
        description: 'berth',
      },
    );
    expect(robot).toEqual([]);
  });

  it('refuses to validate against a response the spec does not describe', () => {
    expect(() => validateAgainstSpec('ionos', 'GET', '/no/such/path', 200, {})).toThrow(/has no GET/);
  });
});
