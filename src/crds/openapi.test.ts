import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { withRules } from './cel.ts';
import { buildCrd } from './crd.ts';
import { allCrds } from './index.ts';
import { type JsonSchema, toStructuralSchema } from './openapi.ts';

/** Every node of a schema tree, with its path. */
function* nodes(node: unknown, path = ''): Generator<[string, JsonSchema]> {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
  const schema = node as JsonSchema;
  yield [path, schema];
  for (const [name, child] of Object.entries((schema.properties as JsonSchema | undefined) ?? {})) {
    yield* nodes(child, `${path}.${name}`);
  }
  if (schema.items !== undefined) yield* nodes(schema.items, `${path}[*]`);
  if (typeof schema.additionalProperties === 'object')
    yield* nodes(schema.additionalProperties, `${path}{*}`);
}

describe('toStructuralSchema', () => {
  it('inlines, carries extensions and defaults, and drops what structural schemas forbid', () => {
    const json = toStructuralSchema(
      withRules(
        z
          .object({
            when: z.iso.datetime({ offset: true }).describe('A time.'),
            mode: z.enum(['A', 'B']).default('A').describe('A mode.'),
            list: z
              .array(z.object({ key: z.string().describe('The key.') }).describe('An item.'))
              .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['key'] })
              .describe('A list.'),
            free: z.record(z.string(), z.unknown()).describe('Anything.'),
          })
          .describe('Root.'),
        [{ rule: 'self.mode == "A"', message: 'mode must be A', fieldPath: '.mode' }],
      ),
    );
    expect(json).toEqual({
      description: 'Root.',
      type: 'object',
      properties: {
        when: { description: 'A time.', type: 'string', format: 'date-time' },
        mode: { description: 'A mode.', type: 'string', enum: ['A', 'B'], default: 'A' },
        list: {
          description: 'A list.',
          type: 'array',
          items: {
            description: 'An item.',
            type: 'object',
            properties: { key: { description: 'The key.', type: 'string' } },
            required: ['key'],
          },
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['key'],
        },
        free: { description: 'Anything.', type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
      required: ['when', 'list', 'free'],
      'x-kubernetes-validations': [
        { rule: 'self.mode == "A"', message: 'mode must be A', fieldPath: '.mode' },
      ],
    });
  });

  it('rejects unions, which a structural schema cannot express', () => {
    const schema = z.object({ v: z.union([z.string(), z.number()]).describe('Either.') }).describe('Root.');
    expect(() => toStructuralSchema(schema)).toThrow(/anyOf/);
  });

  it('names every field that lacks a description', () => {
    const schema = z
      .object({ a: z.string(), b: z.object({ c: z.number() }).describe('B.') })
      .describe('Root.');
    expect(() => toStructuralSchema(schema)).toThrow('fields without a description: .a, .b.c');
  });
});

describe.each(allCrds.map((d) => [d.kind, d] as const))('the %s CRD', (_kind, descriptor) => {
  const root = buildCrd(descriptor).spec.versions[0]?.schema.openAPIV3Schema as JsonSchema;

  it('is structural: no refs, no unions, no additionalProperties beside properties', () => {
    for (const [path, node] of nodes(root)) {
      for (const key of ['$ref', '$schema', 'anyOf', 'oneOf', 'allOf', 'nullable']) {
        expect(node, `${path} has ${key}`).not.toHaveProperty(key);
      }
      if (node.properties !== undefined) expect(node, path).not.toHaveProperty('additionalProperties');
    }
  });

  it('describes every spec and status field', () => {
    for (const [path, node] of nodes(root)) {
      if (path.startsWith('.spec') || path.startsWith('.status')) {
        expect(node.description, `${path} has no description`).toEqual(expect.any(String));
      }
    }
  });

  it('keys conditions by type, as metav1.Condition lists are', () => {
    const status = (root.properties as Record<string, JsonSchema>).status as JsonSchema;
    const conditions = (status.properties as Record<string, JsonSchema>).conditions;
    expect(conditions).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    });
  });
});
