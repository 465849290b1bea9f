import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { recorded } from '../../../test/support/providers/ionos.ts';
import { parseIonosError } from './errors.ts';
import {
  ArtifactSchema,
  ArtifactsSchema,
  LocationsSchema,
  RegistriesSchema,
  RegistrySchema,
  RepositoriesSchema,
  RepositorySchema,
  TokenSchema,
  TokensSchema,
} from './schemas.ts';

const cases: [string, z.ZodType][] = [
  ['registry.json', RegistrySchema],
  ['registries-list.json', RegistriesSchema],
  ['token.json', TokenSchema],
  ['token-create-response.json', TokenSchema],
  ['tokens-list.json', TokensSchema],
  ['locations.json', LocationsSchema],
  ['repository.json', RepositorySchema],
  ['repositories-list.json', RepositoriesSchema],
  ['artifact.json', ArtifactSchema],
  ['artifacts-list.json', ArtifactsSchema],
];

describe('IONOS schemas against the recorded examples', () => {
  it.each(cases)('%s parses', (file, schema) => {
    const result = schema.safeParse(recorded(file));
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it('keeps fields it does not know (the live API is newer than any spec)', () => {
    const registry = RegistrySchema.parse({ ...(recorded('registry.json') as object), newField: 1 });
    expect(registry).toHaveProperty('newField', 1);
  });

  it('accepts the nulls and gaps the notes describe (empty hostname, null expiry, no scopes)', () => {
    const token = TokenSchema.parse({
      id: 'x',
      properties: { name: 'a', credentials: { username: 'a', password: '' }, expiryDate: null, scopes: null },
    });
    expect(token.properties.expiryDate).toBeNull();
    const registry = RegistrySchema.parse({
      id: 'x',
      properties: { name: 'r', location: 'de/fra', hostname: '' },
    });
    expect(registry.properties.hostname).toBe('');
  });

  it('rejects a registry without properties (a changed API must be loud)', () => {
    expect(RegistrySchema.safeParse({ id: 'x' }).success).toBe(false);
  });
});

describe('parseIonosError', () => {
  it('reads ApiErrorResponse', () => {
    expect(parseIonosError(recorded('error.json'))).toEqual({ message: 'validation failed', code: '123' });
  });
  it('reads the bare {msg} body of the docs example', () => {
    expect(parseIonosError(recorded('error-msg.json'))).toEqual({ message: 'Not Found', code: undefined });
  });
  it('joins several messages and survives junk', () => {
    const body = { httpStatus: 400, messages: [{ errorCode: 'a', message: 'one' }, { message: 'two' }] };
    expect(parseIonosError(body)).toEqual({ message: 'one; two', code: 'a' });
    expect(parseIonosError('<html>bad gateway</html>')).toEqual({ message: '<html>bad gateway</html>' });
    expect(parseIonosError(undefined)).toEqual({});
    expect(parseIonosError(42)).toEqual({});
  });
});
