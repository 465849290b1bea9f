import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseSelectelError } from './error-body.ts';
import {
  CleanupResultSchema,
  GcSizeSchema,
  ImageListV2Schema,
  ImageSchema,
  KeystoneTokenSchema,
  RegistryListV1Schema,
  RegistryListV2Schema,
  RegistrySchema,
  RepositoryListV1Schema,
  RepositoryListV2Schema,
  RepositorySchema,
  TokenListV2Schema,
  TokenV1InfoSchema,
  TokenV1RefreshSchema,
  TokenV1Schema,
  TokenV2Schema,
  TokenV2WithSecretSchema,
} from './schemas.ts';

const testdata = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./testdata/${name}.json`, import.meta.url), 'utf8'));

const samples: [string, z.ZodType][] = [
  ['registry', RegistrySchema],
  ['registries-v1', RegistryListV1Schema],
  ['registries-v2', RegistryListV2Schema],
  ['repository', RepositorySchema],
  ['repositories-v1', RepositoryListV1Schema],
  ['repositories-v2', RepositoryListV2Schema],
  ['image', ImageSchema],
  ['images-v2', ImageListV2Schema],
  ['cleanup', CleanupResultSchema],
  ['gc-size', GcSizeSchema],
  ['token-v1', TokenV1Schema],
  ['tokens-v2', TokenListV2Schema],
  ['token-v2', TokenV2Schema],
  ['token-v2-created', TokenV2WithSecretSchema],
  ['token-v2-regenerated', TokenV2WithSecretSchema],
  ['keystone-token', KeystoneTokenSchema],
];

describe('Selectel schemas against the seed samples', () => {
  it.each(samples)('parses the %s sample', (name, schema) => {
    const parsed = schema.safeParse(testdata(name));
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it('reads a 204 (no body) as an empty list', () => {
    expect(RegistryListV1Schema.parse(undefined)).toEqual([]);
    expect(RepositoryListV1Schema.parse(null)).toEqual({ items: [], count: 0, skipped: [] });
  });

  it('keeps unknown registry and token status words instead of failing', () => {
    const registry = { ...(testdata('registry') as object), status: 'MIGRATING' };
    expect(RegistrySchema.parse(registry).status).toBe('MIGRATING');
    const token = { ...(testdata('token-v2') as object), status: 'suspended' };
    expect(TokenV2Schema.parse(token).status).toBe('suspended');
  });

  it('rejects a body without the fields the operator keys on', () => {
    expect(RegistrySchema.safeParse({ name: 'x', status: 'ACTIVE' }).success).toBe(false);
    expect(TokenV2WithSecretSchema.safeParse(testdata('token-v2')).success).toBe(false);
  });

  it('reads every error body shape the notes list', () => {
    const errors = testdata('errors') as Record<string, unknown>;
    expect(parseSelectelError(errors.registryNotFound)).toEqual({ message: 'Registry not found.' });
    expect(parseSelectelError(errors.malformedToken)).toEqual({ message: 'Invalid or malformed token.' });
    expect(parseSelectelError(errors.craasGoNotFound)).toEqual({ message: 'Not found', code: 'string' });
    expect(parseSelectelError(errors.serverError)).toEqual({
      message: 'Server is not responding. Please try again later.',
    });
    expect(
      parseSelectelError({ error: { code: 401, title: 'Unauthorized', message: 'requires authentication' } }),
    ).toEqual({ message: 'requires authentication', code: '401' });
    expect(parseSelectelError(undefined)).toEqual({});
    expect(parseSelectelError('<html>Bad gateway</html>')).toEqual({ message: '<html>Bad gateway</html>' });
  });
});

describe("Selectel token schemas against craas-go's fixtures (testdata/tokens-craas-go.json)", () => {
  const sdk = (testdata('tokens-craas-go') as { bodies: Record<string, { body: Record<string, unknown> }> })
    .bodies;
  const body = (name: string) => sdk[name]?.body;

  it.each([
    ['v1-create', TokenV1Schema],
    ['v1-get', TokenV1InfoSchema],
    ['v1-refresh', TokenV1RefreshSchema],
    ['v2-create', TokenV2WithSecretSchema],
  ] as [string, z.ZodType][])('parses the %s fixture', (name, schema) => {
    expect(schema.safeParse(body(name)).error?.issues ?? []).toEqual([]);
  });

  it('reads a v1 refresh answer without the token (craas-go refills it from the path)', () => {
    const { token: _token, ...withoutToken } = body('v1-refresh') ?? {};
    expect(TokenV1RefreshSchema.parse(withoutToken)).toEqual({ expireAt: 1666649999, expireIn: 43200 });
    expect(TokenV1Schema.safeParse(withoutToken).success).toBe(false);
  });
});
