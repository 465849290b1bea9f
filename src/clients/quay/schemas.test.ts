import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { recorded } from '../../../test/support/providers/quay.ts';
import { parseQuayError } from './api-shapes.ts';
import {
  ApiErrorSchema,
  AutoPrunePolicyListSchema,
  AutoPruneUuidSchema,
  OrganizationSchema,
  PermissionMapSchema,
  PermissionSchema,
  RepositoryCreatedSchema,
  RepositoryListSchema,
  RepositorySchema,
  RobotListSchema,
  RobotPermissionsSchema,
  RobotSchema,
  TagListSchema,
  UserSchema,
} from './schemas.ts';

/** Which schema reads which recorded body. */
const RECORDED: [string, z.ZodType][] = [
  ['seed-api-error', ApiErrorSchema],
  ['seed-user', UserSchema],
  ['error-invalid-request', ApiErrorSchema],
  ['error-robot-missing', ApiErrorSchema],
  ['organization', OrganizationSchema],
  ['robot-created', RobotSchema],
  ['robot-regenerated', RobotSchema],
  ['robot-list', RobotListSchema],
  ['robot-permissions', RobotPermissionsSchema],
  ['repository-created', RepositoryCreatedSchema],
  ['repository-list', RepositoryListSchema],
  ['repository', RepositorySchema],
  ['permission', PermissionSchema],
  ['permission-map', PermissionMapSchema],
  ['tag-list', TagListSchema],
  ['autoprune-list', AutoPrunePolicyListSchema],
  ['autoprune-uuid', AutoPruneUuidSchema],
];

describe('Quay schemas read the recorded bodies', () => {
  it.each(RECORDED)('%s', (name, schema) => {
    const result = schema.safeParse(recorded(name));
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it('keeps unknown keys (Quay adds keys per version and feature)', () => {
    const tags = TagListSchema.parse(recorded('tag-list'));
    expect(tags.tags[1]?.end_ts).toBe(1716000000);
    expect(OrganizationSchema.parse(recorded('organization'))).toHaveProperty('ordered_teams');
  });

  it('rejects bodies that lack what the adapter relies on', () => {
    expect(RobotSchema.safeParse({ token: 'x' }).success).toBe(false);
    expect(TagListSchema.safeParse({ tags: [], page: 1 }).success).toBe(false);
    expect(PermissionSchema.safeParse({ name: 'a+b', role: 'owner' }).success).toBe(false);
  });
});

describe('parseQuayError', () => {
  it('reads the ApiException, the DataModelException {message} and nothing from plain text', () => {
    expect(parseQuayError(recorded('error-invalid-request'))).toEqual({
      message: 'Existing robot with name: acme+ci',
      code: 'invalid_request',
    });
    expect(parseQuayError(recorded('error-robot-missing'))).toEqual({
      message: 'Could not find robot with specified username',
      code: undefined,
    });
    expect(parseQuayError({ error_message: 'old', error_type: 'not_found' })).toEqual({
      message: 'old',
      code: 'not_found',
    });
    expect(parseQuayError({ error: 'invalid_token' })).toEqual({ message: 'invalid_token', code: undefined });
    expect(parseQuayError('<html>429 Too Many Requests</html>')).toEqual({});
  });
});
