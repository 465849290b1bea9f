import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeInvalid, formatPath } from './validation.ts';

describe('describeInvalid', () => {
  const schema = z.object({
    spec: z.object({
      lifetime: z.string().regex(/^\d+h$/, 'must be a duration in hours, e.g. 720h'),
      scopes: z.array(z.object({ actions: z.array(z.enum(['pull', 'push'])).min(1) })),
    }),
  });

  it('names every invalid field with its path', () => {
    const result = schema.safeParse({ spec: { lifetime: 'soon', scopes: [{ actions: [] }] } });
    expect(result.success).toBe(false);
    const message = describeInvalid((result as { error: z.ZodError }).error);
    expect(message).toContain('spec.lifetime: must be a duration in hours, e.g. 720h');
    expect(message).toContain('spec.scopes[0].actions:');
  });

  it('does not echo the offending value', () => {
    const result = schema.safeParse({ spec: { lifetime: 'hunter2-secret', scopes: [] } });
    expect(describeInvalid((result as { error: z.ZodError }).error)).not.toContain('hunter2');
  });

  it('formats array indices like kubectl', () => {
    expect(formatPath(['spec', 'distribute', 'serviceAccounts', 2, 'name'])).toBe(
      'spec.distribute.serviceAccounts[2].name',
    );
  });
});
